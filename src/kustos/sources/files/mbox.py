"""MBOX files, including Google Takeout exports whose ``X-Gmail-Labels`` become folders."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from .eml import MAX_MESSAGE_BYTES
from .labels import labels_to_folders
from .mbox_split import NotAnMbox, header_end, iter_mbox
from .model import Entry, ImportItem, Quarantined, quarantine_file
from .sniff import looks_like_mbox

# Counting separators is cheap for files up to this size; bigger files get no estimate.
_COUNT_LIMIT = 2 * 1024**3
_CONTAINER_SUFFIXES = (".mbox", ".mbx", ".mbs", ".mboxrd", ".txt")
# nsMsgMessageFlags: Read, Replied, Marked, Expunged, Forwarded.
_MOZILLA_FLAGS = (
    (0x1, "\\Seen"),
    (0x2, "\\Answered"),
    (0x4, "\\Flagged"),
    (0x8, "\\Deleted"),
    (0x1000, "$Forwarded"),
)
_DATE_FORMATS = ("%a %b %d %H:%M:%S %Y", "%a %b %d %H:%M:%S %z %Y", "%a %b %d %H:%M %Y")
_STATUS_FLAGS = {
    b"R": "\\Seen",
    b"O": "",
    b"A": "\\Answered",
    b"F": "\\Flagged",
    b"D": "\\Deleted",
    b"T": "\\Draft",
}


class MboxReader:
    """Streams an mbox file message by message; ``source_path`` is ``file#n`` (1-based)."""

    name: str = "mbox"
    extensions: tuple[str, ...] = (".mbox", ".mbx", ".mbs", ".mboxrd")

    def sniff(self, head: bytes, path: Path) -> bool:
        # A .eml that starts with a From_ line is one message (notmuch, mutt save it so);
        # splitting it would cut at a "From " line inside, e.g. an attached git patch.
        return looks_like_mbox(head) and path.suffix.lower() != ".eml"

    def read(self, path: Path, folder: str = "") -> Iterator[Entry]:
        """Messages of ``path``; the file's name (``Sent.mbox`` → ``Sent``) is their folder.

        A file with a non-mbox extension (``.txt``) that holds a single message is a saved
        message with a From_ line, not a mailbox: it is imported byte-exact, like EML.
        """
        box = "/".join(p for p in (folder, folder_name_of_file(path)) if p)
        single = bool(path.suffix) and path.suffix.lower() not in self.extensions
        with path.open("rb") as fh:
            try:
                messages = iter_mbox(fh)
                first = next(messages)
                second = next(messages, None)
                if second is None and single and path.stat().st_size <= MAX_MESSAGE_BYTES:
                    item = _item(path.read_bytes(), first.from_line, folder, str(path))
                    yield item
                    return
                yield _item(first.raw, first.from_line, box, f"{path}#1")
                if second is not None:
                    yield _item(second.raw, second.from_line, box, f"{path}#2")
                for number, msg in enumerate(messages, start=3):
                    yield _item(msg.raw, msg.from_line, box, f"{path}#{number}")
            except NotAnMbox as exc:
                yield quarantine_file(str(path), str(exc))
            except OSError as exc:
                yield Quarantined(str(path), f"mbox file could not be read to the end: {exc}", b"")

    def count(self, path: Path) -> int | None:
        size = path.stat().st_size
        if size > _COUNT_LIMIT:
            return None
        count, tail = 0, b"\n"
        with path.open("rb") as fh:
            while chunk := fh.read(4 * 1024 * 1024):
                data = tail + chunk
                count += data.count(b"\nFrom ")
                tail = data[-5:]
        return count


def _item(raw: bytes, from_line: bytes, folder: str, source: str) -> ImportItem:
    headers = _header_block(raw)
    lower = headers.lower()
    folders = [folder] if folder else []
    flags = _status_flags(headers, lower)
    labels = _header(headers, lower, b"x-gmail-labels")
    if labels is not None:
        label_folders, label_flags = labels_to_folders(labels)
        folders = label_folders or folders
        flags = label_flags
    return ImportItem(
        raw=raw, folders=folders, source_path=source, received=_from_date(from_line), flags=flags
    )


def _header_block(raw: bytes) -> bytes:
    end = header_end(raw)
    return raw[: end[0]] if end else raw


def _header(block: bytes, lower: bytes, name: bytes) -> str | None:
    """The unfolded value of the first header ``name`` (lower case) in a header block.

    ``lower`` is ``block.lower()``, computed once per message: a substring search is
    much cheaper than splitting every header block into lines.
    """
    if lower.startswith(name + b":"):
        start = 0
    else:
        found = lower.find(b"\n" + name + b":")
        if found < 0:
            return None
        start = found + 1
    start += len(name) + 1
    end = block.find(b"\n", start)
    while end >= 0 and block[end + 1 : end + 2] in (b" ", b"\t"):
        end = block.find(b"\n", end + 1)
    value = block[start:] if end < 0 else block[start:end]
    return b" ".join(value.split()).decode("utf-8", "replace")


def _status_flags(block: bytes, lower: bytes) -> list[str]:
    """Flags from mutt/Pine ``Status``/``X-Status`` letters and Thunderbird's ``X-Mozilla-Status``.

    Thunderbird keeps deleted (expunged) messages in the mbox until it is compacted;
    they come out with ``\\Deleted`` so the caller can decide.
    """
    if b"status:" not in lower:
        return []
    letters = (_header(block, lower, b"status") or "") + (_header(block, lower, b"x-status") or "")
    flags: list[str] = []
    for letter in letters.encode("ascii", "ignore"):
        flag = _STATUS_FLAGS.get(bytes([letter]), "")
        if flag and flag not in flags:
            flags.append(flag)
    mozilla = _header(block, lower, b"x-mozilla-status")
    if mozilla:
        try:
            bits = int(mozilla.strip(), 16)
        except ValueError:
            bits = 0
        for bit, flag in _MOZILLA_FLAGS:
            if bits & bit and flag not in flags:
                flags.append(flag)
    return flags


def _from_date(from_line: bytes) -> datetime | None:
    """The delivery date from a ``From sender date`` line, if it parses."""
    parts = from_line.decode("ascii", "replace").split(None, 2)
    if len(parts) < 3:
        return None
    tokens = parts[2].split()
    # Some writers append extra words after the date ("... 2022 extra info").
    for width in (5, 6, 4):
        text = " ".join(tokens[:width])
        for fmt in _DATE_FORMATS:
            try:
                stamp = datetime.strptime(text, fmt)
            except ValueError:
                continue
            return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
    return None


def folder_name_of_file(path: Path) -> str:
    """``Sent.mbox`` → ``Sent``, ``content-length.mbox.txt`` → ``content-length``."""
    name = path.name
    changed = True
    while changed:
        changed = False
        for suffix in _CONTAINER_SUFFIXES:
            if name.lower().endswith(suffix) and len(name) > len(suffix):
                name, changed = name[: -len(suffix)], True
    return name
