"""Reading objects back: whole blobs and streaming chunked objects."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

from kustos.vault.index import Entry

ChunkLoader = Callable[[str], bytes]


def tree_payload(chunks: list[tuple[str, int]]) -> bytes:
    return json.dumps({"v": 1, "chunks": [list(c) for c in chunks]}, separators=(",", ":")).encode()


def parse_tree(payload: bytes) -> list[tuple[str, int]]:
    return [(str(c[0]), int(c[1])) for c in json.loads(payload)["chunks"]]


class ChunkedReader(io.RawIOBase):
    """A read-only stream over a chunked object; holds one chunk in memory at a time."""

    def __init__(self, entry: Entry, chunks: list[tuple[str, int]], load_chunk: ChunkLoader):
        self.entry = entry
        self._chunks = chunks
        self._load = load_chunk
        self._next = 0
        self._buf = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._buf and self._next < len(self._chunks):
            self._buf = memoryview(self._load(self._chunks[self._next][0]))
            self._next += 1
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n
