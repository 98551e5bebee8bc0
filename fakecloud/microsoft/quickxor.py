"""QuickXorHash, the content hash OneDrive for Business and SharePoint report in ``file.hashes``.

As published by Microsoft (onedrive-api-docs, "QuickXorHash"): a 160-bit state; byte
``i`` of the input is XORed in at bit ``(i * 11) mod 160`` (wrapping around); at the
end the input length (64-bit little endian) is XORed into the last 8 bytes. The
digest is the 20 state bytes, little endian, base64-encoded.

Because 11 and 160 are coprime the shift pattern repeats every 160 bytes, so the
input is first folded into 160 bytes (XOR of all 160-byte blocks) and only those
160 bytes are shifted: fast enough for multi-megabyte files in pure Python.
"""

from __future__ import annotations

import base64

WIDTH = 160
SHIFT = 11
_MASK = (1 << WIDTH) - 1
_FOLD = WIDTH * 4096  # bytes folded per big-int XOR


class QuickXorHash:
    def __init__(self) -> None:
        self._folded = 0  # byte k (little endian) = XOR of every input byte at index = k mod 160
        self._length = 0

    def update(self, data: bytes) -> None:
        if not data:
            return
        lead = self._length % WIDTH
        self._length += len(data)
        buffer = bytes(lead) + bytes(data)
        buffer += bytes(-len(buffer) % WIDTH)
        acc = 0
        for start in range(0, len(buffer), _FOLD):
            chunk = buffer[start:start + _FOLD]
            value, blocks = int.from_bytes(chunk, "little"), len(chunk) // WIDTH
            while blocks > 1:  # fold the chunk in halves down to 160 bytes
                half = (blocks + 1) // 2
                bits = half * WIDTH * 8
                value = (value & ((1 << bits) - 1)) ^ (value >> bits)
                blocks = half
            acc ^= value
        self._folded ^= acc

    def digest(self) -> bytes:
        state = 0
        folded = self._folded.to_bytes(WIDTH, "little")
        for index, value in enumerate(folded):
            if value:
                shifted = value << ((index * SHIFT) % WIDTH)
                state ^= (shifted & _MASK) | (shifted >> WIDTH)
        out = bytearray(state.to_bytes(WIDTH // 8, "little"))
        for n, byte in enumerate(self._length.to_bytes(8, "little")):
            out[WIDTH // 8 - 8 + n] ^= byte
        return bytes(out)

    def b64digest(self) -> str:
        return base64.b64encode(self.digest()).decode()


def quick_xor_hash(data: bytes) -> str:
    """The base64 QuickXorHash of ``data`` (what ``hashes.quickXorHash`` carries)."""
    hasher = QuickXorHash()
    hasher.update(data)
    return hasher.b64digest()
