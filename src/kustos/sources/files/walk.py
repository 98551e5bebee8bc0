"""Walk a path: single files, directory trees, Maildirs; folder names from the tree."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from .maildir import MESSAGE_DIRS, MaildirReader, is_maildir, plus_subfolders
from .model import Entry, Skipped, quarantine_file
from .registry import read_head, reader_by_extension, reader_for
from .sniff import describe

Progress = Callable[[int, int | None], None]

_MAILDIR = MaildirReader()
# Mail-client bookkeeping files found beside mail; never messages, not worth a report.
_IGNORED = {"maildirfolder", "subscriptions", "courierimapsubscribed", "courierimapuiddb", "courierimapacl"}
_IGNORED_PREFIXES = ("dovecot", "courierimap", ".")


def _dir_component(child: Path, in_apple_mailbox: bool) -> str | None:
    """Folder name for a subdirectory, or None when it is storage layout, not a folder.

    Thunderbird ``X.sbd`` and Apple Mail ``X.mbox`` directories name folder ``X``; inside
    an Apple ``.mbox`` directory the storage levels (``Messages``, ``<UUID>/Data/1/2``)
    are not folders, only nested ``.mbox`` directories are.
    """
    name = child.name
    if name.lower().endswith(".mbox") and len(name) > 5:
        return name[:-5]
    if in_apple_mailbox:
        return None
    if name.lower().endswith(".sbd") and len(name) > 4:
        return name[:-4]
    return name


def _join(parts: list[str]) -> str:
    return "/".join(p for p in parts if p)


def _ignored(path: Path) -> bool:
    name = path.name
    return name.lower() in _IGNORED or name.lower().startswith(_IGNORED_PREFIXES)


def read_file(path: Path, folder: str, in_walk: bool) -> Iterator[Entry]:
    """Read one file; an unrecognised file is quarantined if named directly, skipped in a walk."""
    try:
        head = read_head(path)
    except OSError as exc:
        yield quarantine_file(str(path), f"file could not be read: {exc.strerror}")
        return
    reader = reader_for(path, head)
    if reader is None:
        what = describe(head)
        if in_walk:
            yield Skipped(str(path), f"not a mail file: {what}")
        else:
            yield quarantine_file(
                str(path), f"unrecognised file format: {what}; expected EML, EMLX, MBOX, MSG or PST/OST"
            )
        return
    yield from reader.read(path, folder)


def walk(root: Path, parts: list[str] | None = None, in_apple_mailbox: bool = False) -> Iterator[Entry]:
    """Everything importable under directory ``root``, in sorted order.

    Symbolic links are not followed (they could loop or leave the tree); each one is
    reported as Skipped.
    """
    parts = parts or []
    skip: set[str] = set()
    if is_maildir(root):
        # Maildir++ convention: the root Maildir's own messages are the INBOX.
        yield from _MAILDIR.read(root, _join(parts) or "INBOX", _join(parts))
        skip = {*MESSAGE_DIRS, "tmp", *(sub.name for sub, _ in plus_subfolders(root))}
    for child in sorted(root.iterdir()):
        if child.name in skip or _ignored(child):
            continue
        if child.is_symlink():
            yield Skipped(str(child), "symbolic link not followed")
        elif child.is_dir():
            component = _dir_component(child, in_apple_mailbox)
            apple = in_apple_mailbox or child.name.lower().endswith(".mbox")
            yield from walk(child, [*parts, component] if component else parts, apple)
        elif child.is_file():
            yield from read_file(child, _join(parts), in_walk=True)


def estimate(root: Path) -> int | None:
    """Cheap item estimate: container readers count, every other file counts as one."""
    if root.is_file():
        reader = reader_for(root, read_head(root))
        return reader.count(root) if reader else None
    return _estimate_dir(root)


def _estimate_dir(root: Path) -> int:
    total, skip = 0, set()
    if is_maildir(root):
        total += _MAILDIR.count(root)
        skip = {*MESSAGE_DIRS, "tmp", *(sub.name for sub, _ in plus_subfolders(root))}
    for child in sorted(root.iterdir()):
        if child.name in skip or _ignored(child) or child.is_symlink():
            continue
        if child.is_dir():
            total += _estimate_dir(child)
        elif child.is_file():
            reader = reader_by_extension(child)
            counted = reader.count(child) if reader is not None and reader.name in ("mbox", "pst") else 1
            total += counted or 0
    return total
