"""Content-defined chunking (FastCDC) of large objects.

Objects up to ``threshold`` bytes are stored whole; larger ones are cut with FastCDC
(average ``avg`` bytes, default ~1 MiB) so that edits deduplicate against old versions.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from pyfastcdc import FastCDC


class _Prefixed:
    """A reader that yields ``head`` and then the rest of ``stream`` (for cut_stream)."""

    def __init__(self, head: bytes, stream: BinaryIO):
        self._head = memoryview(head)
        self._stream = stream

    def read(self, n: int) -> bytes:
        if self._head:
            part, self._head = bytes(self._head[:n]), self._head[n:]
            return part
        return self._stream.read(n)


class Chunker:
    def __init__(self, avg: int = 1024 * 1024, threshold: int = 4 * 1024 * 1024):
        self.avg = avg
        self.threshold = threshold
        self._cdc = FastCDC(avg, min_size=max(64, avg // 4), max_size=min(16 * 1024 * 1024, avg * 4))

    def chunks(self, head: bytes, rest: BinaryIO | None = None) -> Iterator[bytes]:
        """Chunks of ``head`` followed by ``rest``; each chunk is a fresh bytes object."""
        if rest is None:
            for c in self._cdc.cut_buf(head):
                yield bytes(c.data)
            return
        for c in self._cdc.cut_stream(_Prefixed(head, rest)):
            yield bytes(c.data)
