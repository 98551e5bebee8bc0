"""Byte entropy of content, measured cheaply while it streams.

:class:`EntropyEstimator` keeps a byte histogram of a bounded sample (the head of the stream,
then one small window per stride), so a backup sink can feed every chunk it writes without
extra memory or a second read. Shannon entropy is in bits per byte (0..8).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

HEAD = 32 * 1024
WINDOW = 4 * 1024
STRIDE = 1024 * 1024
LIMIT = 64 * 1024
MIN_SAMPLE = 256  # fewer bytes say too little to call content random


def histogram_entropy(counts: Iterable[int]) -> float:
    """Shannon entropy (bits per byte) of a byte histogram; 0.0 for an empty one."""
    values = [c for c in counts if c > 0]
    total = sum(values)
    if total == 0:
        return 0.0
    return -sum(c / total * math.log2(c / total) for c in values)


def shannon_entropy(data: bytes | bytearray | memoryview) -> float:
    """Entropy of all of ``data`` in bits per byte."""
    return histogram_entropy(Counter(bytes(data)).values())


def random_entropy(sample_size: int) -> float:
    """Expected entropy of ``sample_size`` uniformly random bytes (the Miller-Madow bias:
    a finite sample never reaches 8 bits/byte)."""
    if sample_size <= 0:
        return 0.0
    return max(0.0, 8.0 - 255 / (2 * sample_size * math.log(2)))


def looks_random(entropy: float, sample_size: int, margin: float = 0.15) -> bool:
    """True when ``entropy`` over ``sample_size`` bytes is as high as random data gives
    (encrypted or compressed content)."""
    return sample_size >= MIN_SAMPLE and entropy >= random_entropy(sample_size) - margin


class EntropyEstimator:
    """Incremental entropy estimate: ``feed(chunk)`` as the bytes stream, then ``entropy``.

    The sample is the first ``head`` bytes plus one ``window`` at the start of every ``stride``
    after it, at most ``limit`` bytes in all: constant memory and a few microseconds per chunk.
    """

    def __init__(self, head: int = HEAD, window: int = WINDOW, stride: int = STRIDE, limit: int = LIMIT):
        if head < 0 or window <= 0 or stride < window or limit <= 0:
            raise ValueError(f"invalid entropy sampling: head={head} window={window} stride={stride} limit={limit}")
        self.head, self.window, self.stride, self.limit = head, window, stride, limit
        self._hist: Counter[int] = Counter()
        self._offset = 0
        self._taken = 0

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        view = memoryview(data).cast("B")
        start, n = self._offset, len(view)
        self._offset += n
        pos = 0
        while pos < n and self._taken < self.limit:
            off = start + pos
            if off < self.head:
                end = self.head
            else:
                window_start = self.head + (off - self.head) // self.stride * self.stride
                end = window_start + self.window
                if off >= end:
                    pos = window_start + self.stride - start
                    continue
            take = min(end - off, n - pos, self.limit - self._taken)
            self._hist.update(bytes(view[pos:pos + take]))
            self._taken += take
            pos += take

    @property
    def sample_size(self) -> int:
        """Bytes in the sample."""
        return self._taken

    @property
    def total_bytes(self) -> int:
        """Bytes fed in all."""
        return self._offset

    @property
    def entropy(self) -> float | None:
        """Bits per byte of the sample; None before any byte was fed."""
        return histogram_entropy(self._hist.values()) if self._taken else None

    def looks_random(self) -> bool:
        return self._taken > 0 and looks_random(histogram_entropy(self._hist.values()), self._taken)


def estimate(chunks: Iterable[bytes]) -> EntropyEstimator:
    """Feed ``chunks`` into a fresh estimator and return it."""
    est = EntropyEstimator()
    for chunk in chunks:
        est.feed(chunk)
    return est
