"""QuickXorHash as OneDrive computes it (vectors published with rclone's OneDrive backend)."""

from __future__ import annotations

import base64
import os

import pytest

from fakecloud.microsoft.quickxor import QuickXorHash, quick_xor_hash

VECTORS = [
    ("", "AAAAAAAAAAAAAAAAAAAAAAAAAAA="),
    ("Sg==", "SgAAAAAAAAAAAAAAAQAAAAAAAAA="),
    ("tbQ=", "taAFAAAAAAAAAAAAAgAAAAAAAAA="),
    ("T6LYJIfDh81JrAK309H2JMJTXis=", "zBTHrspn3mEcohlJdIUAbjGNaNg="),
    ("DWAAX5/CIfrmErgZa8ot6ZraeSbu", "LR2Z0PjuRYGKQB/mhQAuMrAGZbQ="),
    ("PfxMcUd0vIW6VbHG/uj/Y0W6qEoKmyBD0nYebEKazKaKG+UaDqBEcmQjbfQeVnVLuodMoPp7P7TR1htX5n2VnkHh22xDyoJ8C/ZQKiSNqQfX"
     "vh83judf4RVr9exJCud8Uvgip6aVZTaPrJHVjQhMCp/dEnGvqg0oN5OVkM2qqAXvA0teKUDhgNM71sDBVBCGXxNOR2bpbD1iM4dnuT0ey4L+"
     "loXEHTL0fqMeUcEi2asgImnlNakwenDzz0x57aBwyq3AspCFGB1ncX4yYCr/OaCcS5OKi/00WH+wNQU3",
     "QX/YEpG0gDsmhEpCdWhsxDzsfVE="),
]


@pytest.mark.parametrize(("data", "expected"), VECTORS)
def test_known_vectors(data: str, expected: str) -> None:
    assert quick_xor_hash(base64.b64decode(data)) == expected


def test_streaming_in_odd_pieces_equals_one_shot() -> None:
    data = os.urandom(1_000_003)
    hasher = QuickXorHash()
    for start in range(0, len(data), 7919):
        hasher.update(data[start:start + 7919])
    assert hasher.b64digest() == quick_xor_hash(data)
    assert quick_xor_hash(data[:-1]) != quick_xor_hash(data)


def reference(data: bytes) -> str:
    """The published algorithm, byte by byte (slow, obviously right)."""
    state = 0
    for index, value in enumerate(data):
        shifted = value << ((index * 11) % 160)
        state ^= (shifted & ((1 << 160) - 1)) | (shifted >> 160)
    out = bytearray(state.to_bytes(20, "little"))
    for n, byte in enumerate(len(data).to_bytes(8, "little")):
        out[12 + n] ^= byte
    return base64.b64encode(bytes(out)).decode()


@pytest.mark.parametrize("size", [159, 160, 161, 333, 481, 4096 * 160 + 7])
def test_matches_the_byte_by_byte_algorithm(size: int) -> None:
    data = os.urandom(size)
    assert quick_xor_hash(data) == reference(data)
