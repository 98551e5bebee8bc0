"""Apple Mail ``.emlx``: a byte-count line, the message bytes, then an XML property list."""

from __future__ import annotations

import plistlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .model import Entry, ImportItem, quarantine_file
from .sniff import looks_like_emlx

# Apple Mail's message flag bits (documented by reverse engineering, stable since 10.4).
_FLAG_BITS = (
    (0, "\\Seen"),
    (1, "\\Deleted"),
    (2, "\\Answered"),
    (4, "\\Flagged"),
    (6, "\\Draft"),
    (8, "$Forwarded"),
)


class EmlxReader:
    """Yields only the message bytes (count line and trailing plist dropped)."""

    name: str = "emlx"
    extensions: tuple[str, ...] = (".emlx",)

    def sniff(self, head: bytes, path: Path) -> bool:
        return looks_like_emlx(head)

    def read(self, path: Path, folder: str = "") -> Iterator[Entry]:
        data = path.read_bytes()
        line, sep, rest = data.partition(b"\n")
        if not sep or not line.strip().isdigit():
            yield quarantine_file(
                str(path), "not an Apple Mail .emlx file: the first line is not a byte count"
            )
            return
        length = int(line.strip())
        if length > len(rest):
            yield quarantine_file(
                str(path), f"truncated .emlx file: it announces {length} message bytes but holds {len(rest)}"
            )
            return
        raw, plist = rest[:length], rest[length:]
        meta = _plist(plist)
        yield ImportItem(
            raw=raw,
            folders=[folder] if folder else [],
            source_path=str(path),
            received=_received(meta),
            flags=_flags(meta),
        )

    def count(self, path: Path) -> int | None:
        return 1


def _plist(data: bytes) -> dict[str, Any]:
    try:
        value = plistlib.loads(data.strip()) if data.strip() else {}
    except Exception:  # the plist is optional metadata; a damaged one must not lose the message
        return {}
    return value if isinstance(value, dict) else {}


def _received(meta: dict[str, Any]) -> datetime | None:
    value = meta.get("date-received")
    if isinstance(value, int | float) and value > 0:
        return datetime.fromtimestamp(value, tz=UTC)
    return None


def _flags(meta: dict[str, Any]) -> list[str]:
    bits = meta.get("flags")
    if not isinstance(bits, int):
        return []
    return [name for bit, name in _FLAG_BITS if bits & (1 << bit)]
