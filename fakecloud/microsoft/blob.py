"""Synthetic file content: large files (gigabytes) the emulator can serve without holding them.

``SyntheticContent(size, seed)`` is a deterministic pseudo-random byte string made of
1 MiB blocks, generated on demand; its sha256 and QuickXorHash are computed once by
streaming. Drives store either ``bytes`` or this; :func:`chunks` and :func:`sha256_of`
read both alike. Responses carry it as a :class:`fakecloud.web.Streamed` body.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator

from fakecloud.microsoft.quickxor import QuickXorHash

BLOCK = 1 << 20


class SyntheticContent:
    def __init__(self, size: int, seed: str) -> None:
        if size < 0:
            raise ValueError("size must not be negative")
        self.size = size
        self.seed = seed
        self._digests: tuple[str, str] | None = None

    def __len__(self) -> int:
        return self.size

    def block(self, index: int) -> bytes:
        length = min(BLOCK, self.size - index * BLOCK)
        return random.Random(f"{self.seed}:{index}").randbytes(length) if length > 0 else b""

    def chunks(self, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """The bytes ``[start, end)`` in pieces of at most 1 MiB."""
        end = self.size if end is None else min(end, self.size)
        position = start
        while position < end:
            index, offset = divmod(position, BLOCK)
            piece = self.block(index)[offset:offset + end - position]
            yield piece
            position += len(piece)

    def digests(self) -> tuple[str, str]:
        """(sha256 hex, QuickXorHash base64), computed once."""
        if self._digests is None:
            sha, qxh = hashlib.sha256(), QuickXorHash()
            for piece in self.chunks():
                sha.update(piece)
                qxh.update(piece)
            self._digests = (sha.hexdigest(), qxh.b64digest())
        return self._digests


Content = bytes | SyntheticContent


def chunks(content: Content, start: int = 0, end: int | None = None) -> Iterator[bytes]:
    if isinstance(content, SyntheticContent):
        yield from content.chunks(start, end)
    else:
        yield content[start:end]


def sha256_of(content: Content) -> str:
    return content.digests()[0] if isinstance(content, SyntheticContent) else hashlib.sha256(content).hexdigest()
