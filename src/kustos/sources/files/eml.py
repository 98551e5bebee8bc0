"""Single RFC 5322 message files (.eml, and mail stored under any other name)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from .model import Entry, ImportItem, quarantine_file
from .sniff import describe, looks_like_message

# Larger single messages are refused: no real mail is this big and reading it whole
# would risk memory (it is quarantined with its head kept).
MAX_MESSAGE_BYTES = 512 * 1024 * 1024


class EmlReader:
    """A file that holds exactly one message; ``raw`` is the file's bytes, unchanged."""

    name: str = "eml"
    extensions: tuple[str, ...] = (".eml", ".txt", ".msg822", ".rfc822")

    def sniff(self, head: bytes, path: Path) -> bool:
        return looks_like_message(head)

    def read(self, path: Path, folder: str = "") -> Iterator[Entry]:
        size = path.stat().st_size
        if size > MAX_MESSAGE_BYTES:
            yield quarantine_file(str(path), f"message file too large ({size} bytes)")
            return
        data = path.read_bytes()
        if not data.strip():
            yield quarantine_file(str(path), "not an e-mail message: the file is empty")
            return
        if b"\x00" in data[:4096] and not looks_like_message(data[:4096]):
            yield quarantine_file(str(path), f"not an e-mail message: {describe(data[:64])}")
            return
        yield ImportItem(raw=data, folders=[folder] if folder else [], source_path=str(path))

    def count(self, path: Path) -> int | None:
        return 1
