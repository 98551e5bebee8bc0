"""IMAP folder names: LIST entries → archive folder paths, include/exclude filtering.

Servers differ a lot here (see the transcripts in the shared corpus): the hierarchy
delimiter is ``/`` (Gmail, Zoho), ``.`` (Dovecot, Courier, Strato) or ``|`` (Yandex);
names are modified UTF-7 (RFC 3501 §5.1.3, e.g. Zoho's ``Entw&APw-rfe``); they come
quoted, as atoms (Gmail's ``+Folder``) or as literals; a folder literally called
``NIL`` arrives as the NIL atom; ``INBOX`` is case-insensitive (Yahoo says
``Inbox``); container folders are flagged ``\\Noselect`` or ``\\NonExistent``.

This module keeps the server's raw (encoded) name for commands and derives a
``/``-separated, decoded path for the archive.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from imapclient.imap_utf7 import decode as decode_utf7
from imapclient.imap_utf7 import encode as encode_utf7

#: Flags that mark a LIST entry as not selectable (RFC 3501, RFC 5258).
UNSELECTABLE = frozenset({"\\noselect", "\\nonexistent"})


@dataclass(frozen=True)
class FolderInfo:
    """One LIST entry.

    ``raw`` is the server's mailbox name exactly as LIST returned it (modified
    UTF-7, ASCII) and is what SELECT must be given; ``path`` is the decoded name with
    the server's delimiter replaced by ``/`` and ``INBOX`` normalised to upper case.
    """

    raw: str
    path: str
    delimiter: str | None
    flags: tuple[str, ...]

    @property
    def selectable(self) -> bool:
        return not any(flag.lower() in UNSELECTABLE for flag in self.flags)


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("ascii", errors="surrogateescape")
    return str(value)


def folder_path(raw: str, delimiter: str | None) -> str:
    """The archive path for a raw mailbox name: decoded, ``/``-separated.

    A ``/`` inside a segment (possible where the delimiter is ``.``) becomes ``∕``
    (U+2215) so it cannot be mistaken for a hierarchy level.
    """
    decoded = decode_utf7(raw.encode("ascii", errors="surrogateescape"))
    if not isinstance(decoded, str):  # imapclient returns bytes it cannot decode unchanged
        decoded = decoded.decode("utf-8", errors="replace")
    segments = decoded.split(delimiter) if delimiter else [decoded]
    segments = [segment.replace("/", "\u2215") for segment in segments]
    if segments and segments[0].upper() == "INBOX":
        segments[0] = "INBOX"
    return "/".join(segments)


def folder_from_list_entry(flags: Sequence[object], delimiter: object, name: object) -> FolderInfo:
    """Build a FolderInfo from one parsed LIST/XLIST triple (imapclient's shape).

    ``name`` is ``None`` when the server sent the atom NIL (a folder named "NIL"),
    an ``int`` when a numeric name was parsed as a number.
    """
    raw = "NIL" if name is None else _text(name)
    delim = None if delimiter is None else _text(delimiter)
    flag_texts = tuple(_text(flag) for flag in flags)
    return FolderInfo(raw=raw, path=folder_path(raw, delim), delimiter=delim, flags=flag_texts)


def encode_folder(path: str, delimiter: str | None) -> str:
    """Inverse of :func:`folder_path` (used to create folders in tests and restores)."""
    segments = path.split("/")
    joined = (delimiter or "/").join(segment.replace("\u2215", "/") for segment in segments)
    encoded = encode_utf7(joined)
    return encoded.decode("ascii") if isinstance(encoded, bytes) else encoded


def _matches(path: str, patterns: Iterable[str]) -> bool:
    # Globs apply to the decoded path; INBOX is matched case-insensitively like the server does.
    lowered = path.lower()
    return any(fnmatch.fnmatchcase(lowered, pattern.lower()) for pattern in patterns)


def select_folders(
    folders: Iterable[FolderInfo], include: Sequence[str] = (), exclude: Sequence[str] = ()
) -> list[FolderInfo]:
    """Selectable folders matching ``include`` (all when empty) and no ``exclude`` glob.

    Globs are shell-style (``fnmatch``), case-insensitive, applied to the decoded
    ``/``-separated path; ``*`` also crosses levels (``Archive/*`` matches
    ``Archive/2020/Q1``). Duplicates (same raw name) are dropped, order is kept.
    """
    seen: set[str] = set()
    chosen: list[FolderInfo] = []
    for folder in folders:
        if not folder.selectable or folder.raw in seen:
            continue
        if include and not _matches(folder.path, include):
            continue
        if exclude and _matches(folder.path, exclude):
            continue
        seen.add(folder.raw)
        chosen.append(folder)
    return chosen
