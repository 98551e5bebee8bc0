"""A finished export directory as one ZIP stream (stored, ZIP64, no temporary file): the download
of an exit export made on the server. Memory stays constant: files are read in blocks."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterator
from pathlib import Path

_BLOCK = 1 << 20


class _Sink:
    """A write-only, unseekable file object that hands out what zipfile wrote so far."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.offset = 0

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.offset += len(data)
        return len(data)

    def tell(self) -> int:
        return self.offset

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        out = b"".join(self.parts)
        self.parts = []
        return out


def _files(root: Path) -> Iterator[Path]:
    for directory, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            yield Path(directory) / name


def stream(root: Path, prefix: str) -> Iterator[bytes]:
    """The ZIP bytes of every file under ``root``, named ``<prefix>/<relative path>``."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:  # type: ignore[arg-type]
        for path in _files(root):
            rel = path.relative_to(root).as_posix()
            info = zipfile.ZipInfo.from_file(path, f"{prefix}/{rel}")
            info.compress_type = zipfile.ZIP_STORED
            with path.open("rb") as src, zf.open(info, "w", force_zip64=True) as dst:
                while block := src.read(_BLOCK):
                    dst.write(block)
                    yield sink.take()
            yield sink.take()
    yield sink.take()
