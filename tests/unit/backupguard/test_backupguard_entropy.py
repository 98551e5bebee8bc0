"""Entropy estimator: bounded sample, chunking does not matter, random vs document content."""

from __future__ import annotations

import random

import pytest

from kustos.backupguard.entropy import EntropyEstimator, looks_random, random_entropy, shannon_entropy
from tests.unit.backupguard.guard_data import text


def test_entropy_of_known_distributions() -> None:
    assert shannon_entropy(b"") == 0.0
    assert shannon_entropy(b"aaaa") == 0.0
    assert shannon_entropy(b"abab") == pytest.approx(1.0)
    assert shannon_entropy(bytes(range(256)) * 4) == pytest.approx(8.0)
    rng = random.Random(3)
    assert 7.95 < shannon_entropy(rng.randbytes(64 * 1024)) <= 8.0
    assert 3.0 < shannon_entropy(text(rng, 64 * 1024)) < 5.5


def test_chunk_boundaries_do_not_change_the_estimate() -> None:
    data = random.Random(4).randbytes(3 * 1024 * 1024 + 17)
    whole = EntropyEstimator()
    whole.feed(data)
    pieces = EntropyEstimator()
    pos, rng = 0, random.Random(5)
    while pos < len(data):
        step = rng.choice((1, 7, 4095, 4096, 65537, 300_001))
        pieces.feed(memoryview(data)[pos:pos + step])
        pos += step
    assert pieces.total_bytes == whole.total_bytes == len(data)
    assert pieces.sample_size == whole.sample_size
    assert pieces.entropy == whole.entropy


def test_sample_is_bounded_and_includes_windows_after_the_head() -> None:
    est = EntropyEstimator(head=32 * 1024, window=4 * 1024, stride=1024 * 1024, limit=64 * 1024)
    zeros = bytes(32 * 1024)
    est.feed(zeros)
    assert est.entropy == 0.0 and est.sample_size == 32 * 1024
    # A file whose head is zeros but whose body is random (partial encryption) shows up through the windows.
    body = random.Random(6).randbytes(20 * 1024 * 1024)
    for i in range(0, len(body), 1 << 20):
        est.feed(body[i:i + (1 << 20)])
    assert est.sample_size == 64 * 1024
    assert est.total_bytes == len(zeros) + len(body)
    assert est.entropy is not None and est.entropy > 3.5


def test_looks_random_needs_enough_bytes_and_near_eight_bits() -> None:
    rng = random.Random(7)
    for size in (256, 1024, 6000, 65536):
        sample = rng.randbytes(size)
        assert looks_random(shannon_entropy(sample), size), size
        assert not looks_random(shannon_entropy(text(rng, size)), size), size
    assert not looks_random(shannon_entropy(rng.randbytes(100)), 100)
    assert random_entropy(65536) > 7.99 and random_entropy(256) < 7.4
    est = EntropyEstimator()
    assert est.entropy is None and not est.looks_random()
    est.feed(rng.randbytes(8192))
    assert est.looks_random()


def test_invalid_sampling_is_refused() -> None:
    with pytest.raises(ValueError, match="invalid entropy sampling"):
        EntropyEstimator(window=0)
