"""What the file readers yield: importable items, quarantined inputs, skipped entries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# Item kinds a reader may produce. "message" is RFC 5322 mail; the others are Outlook
# items rendered as an RFC 5322 wrapper that carries a vCard / iCalendar part.
KINDS = ("message", "contact", "appointment", "task", "note", "journal")

# The largest input kept whole in a Quarantined entry; beyond it only the head is kept so
# that a corrupt multi-GB PST cannot exhaust memory.
QUARANTINE_MAX_BYTES = 64 * 1024 * 1024


@dataclass
class ImportItem:
    """One item to archive.

    ``raw`` is RFC 5322 bytes (for EML/Maildir/MBOX/EMLX exactly the stored message bytes);
    ``folders`` the folder paths (``/``-separated, no leading slash; empty = no folder
    known) the item appears in; ``source_path`` names the file and, for containers, the
    position inside it (``file#n`` for the n-th mbox message, ``file#id`` for a PST item).
    ``original``/``original_kind`` keep a non-RFC-822 original (the ``.msg`` bytes).
    ``flags`` are IMAP-style (``\\Seen``, ``\\Answered``, ``\\Flagged``, ``\\Deleted``,
    ``\\Draft``, ``$Forwarded``, ``$Important``).
    """

    raw: bytes
    folders: list[str]
    source_path: str
    kind: str = "message"
    original: bytes | None = None
    original_kind: str | None = None
    received: datetime | None = None
    flags: list[str] = field(default_factory=list)


@dataclass
class Quarantined:
    """Input that could not be read; ``data`` keeps its bytes, ``reason`` says why in plain words."""

    source_path: str
    reason: str
    data: bytes


@dataclass
class Skipped:
    """An entry deliberately not imported (e.g. an Outlook item kind without a rendering)."""

    source_path: str
    reason: str


Entry = ImportItem | Quarantined | Skipped


def quarantine_file(path: str, reason: str) -> Quarantined:
    """Quarantine a whole file, keeping at most QUARANTINE_MAX_BYTES of it."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(QUARANTINE_MAX_BYTES + 1)
    except OSError as exc:
        return Quarantined(path, f"{reason}; the file could not be read either: {exc.strerror}", b"")
    if len(data) > QUARANTINE_MAX_BYTES:
        data = data[:QUARANTINE_MAX_BYTES]
        reason = f"{reason} (only the first {QUARANTINE_MAX_BYTES} bytes are kept)"
    return Quarantined(path, reason, data)
