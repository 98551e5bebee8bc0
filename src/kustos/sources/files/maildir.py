"""Maildir and Maildir++ trees: ``cur``/``new`` messages, ``.Sent.2024`` → ``Sent/2024``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from .model import Entry, ImportItem, quarantine_file

# The info part of a file name: ":2,FLAGS" (standard) or ";2,FLAGS" / "!2,FLAGS" as used
# on file systems that forbid colons.
_INFO = re.compile(r"[:;!]2,([A-Za-z]*)$")
_LEADING_TIME = re.compile(r"^(\d{9,10})\.")
_FLAG_LETTERS = {
    "S": "\\Seen",
    "R": "\\Answered",
    "F": "\\Flagged",
    "T": "\\Deleted",
    "D": "\\Draft",
    "P": "$Forwarded",
}
MESSAGE_DIRS = ("cur", "new")


def is_maildir(path: Path) -> bool:
    """A directory is a Maildir when it has a ``cur`` or ``new`` subdirectory."""
    return any((path / sub).is_dir() for sub in MESSAGE_DIRS)


def plus_subfolders(path: Path) -> list[tuple[Path, str]]:
    """Maildir++ subfolders of ``path`` as ``(dir, "Sent/2024")``, sorted by name."""
    found = []
    for child in sorted(path.iterdir()):
        name = child.name
        if name.startswith(".") and name not in (".", "..") and len(name) > 1 and child.is_dir():
            if is_maildir(child):
                found.append((child, "/".join(part for part in name[1:].split(".") if part)))
    return found


def message_files(path: Path) -> Iterator[Path]:
    """Message files in ``cur`` then ``new``; hidden files (``.noindex``) are not messages."""
    for sub in MESSAGE_DIRS:
        box = path / sub
        if box.is_dir():
            for file in sorted(box.iterdir()):
                if file.is_file() and not file.name.startswith("."):
                    yield file


class MaildirReader:
    """Reads one Maildir (its ``cur``/``new``) plus its Maildir++ ``.sub.folders``.

    ``folder`` names the Maildir's own messages; Maildir++ subfolders are placed under
    ``sub_prefix`` (``""`` for an import root, whose own messages are the ``INBOX``).
    """

    name = "maildir"

    def read(self, path: Path, folder: str, sub_prefix: str) -> Iterator[Entry]:
        yield from self._messages(path, folder)
        for sub, name in plus_subfolders(path):
            yield from self._messages(sub, f"{sub_prefix}/{name}" if sub_prefix else name)

    def count(self, path: Path) -> int:
        total = sum(1 for _ in message_files(path))
        return total + sum(sum(1 for _ in message_files(sub)) for sub, _ in plus_subfolders(path))

    def _messages(self, path: Path, folder: str) -> Iterator[Entry]:
        for file in message_files(path):
            try:
                raw = file.read_bytes()
            except OSError as exc:
                yield quarantine_file(str(file), f"Maildir message could not be read: {exc.strerror}")
                continue
            if not raw.strip():
                yield quarantine_file(str(file), "not an e-mail message: the Maildir file is empty")
                continue
            yield ImportItem(
                raw=raw,
                folders=[folder] if folder else [],
                source_path=str(file),
                received=_received(file),
                flags=_flags(file.name, file.parent.name),
            )


def _flags(name: str, subdir: str) -> list[str]:
    match = _INFO.search(name)
    letters = match.group(1) if match else ""
    # Messages in new/ have never been seen by a client, whatever the name says.
    return [
        _FLAG_LETTERS[c]
        for c in sorted(set(letters))
        if c in _FLAG_LETTERS and not (subdir == "new" and c == "S")
    ]


def _received(file: Path) -> datetime | None:
    """Delivery time: the Unix time that starts a Maildir unique name, else the file's mtime."""
    match = _LEADING_TIME.match(file.name)
    try:
        stamp = int(match.group(1)) if match else int(file.stat().st_mtime)
    except OSError:
        return None
    return datetime.fromtimestamp(stamp, tz=UTC)
