"""The reader registry: one reader per file format, chosen by content first, name second."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from .eml import EmlReader
from .emlx import EmlxReader
from .mbox import MboxReader
from .model import Entry
from .msg import MsgReader
from .pst import PstReader
from .sniff import HEAD_BYTES


class Reader(Protocol):
    """A file format reader.

    ``sniff`` recognises the format from the first HEAD_BYTES of a file (the path is given
    for formats whose signature is shared, like OLE2); ``extensions`` are the fallback
    when no reader recognises the content. ``read`` yields entries one at a time and must
    never load a whole multi-item container into memory; ``folder`` is the folder path
    the directory walk assigned to the file's directory (a container may add its own
    name, as mbox does). ``count`` is a cheap item estimate or None.
    """

    name: str
    extensions: tuple[str, ...]

    def sniff(self, head: bytes, path: Path) -> bool: ...

    def read(self, path: Path, folder: str = "") -> Iterator[Entry]: ...

    def count(self, path: Path) -> int | None: ...


# Sniffing order matters: binary signatures first, then the text formats from the most
# specific (EMLX byte-count line, mbox From_ line) to the most general (header block).
READERS: list[Reader] = [PstReader(), MsgReader(), EmlxReader(), MboxReader(), EmlReader()]


def register(reader: Reader, *, first: bool = False) -> None:
    """Add a reader; ``first=True`` lets it sniff before the built-in ones."""
    if first:
        READERS.insert(0, reader)
    else:
        READERS.append(reader)


def read_head(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(HEAD_BYTES)


def reader_for(path: Path, head: bytes) -> Reader | None:
    """The reader whose sniff accepts ``head``, else the one claiming the extension."""
    for reader in READERS:
        if reader.sniff(head, path):
            return reader
    suffix = path.suffix.lower()
    for reader in READERS:
        if suffix in reader.extensions:
            return reader
    return None


def reader_by_extension(path: Path) -> Reader | None:
    """The reader claiming ``path``'s extension, without looking at the content."""
    suffix = path.suffix.lower()
    return next((r for r in READERS if suffix in r.extensions), None)
