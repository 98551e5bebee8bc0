"""Google Takeout ``X-Gmail-Labels``: labels become folders, state labels become flags."""

from __future__ import annotations

import csv
from email.header import decode_header, make_header

# Labels that describe a message's state rather than a place it is filed in.
_STATE_FLAGS = {
    "opened": "\\Seen",
    "starred": "\\Flagged",
    "important": "$Important",
    "draft": "\\Draft",
}
_STATE_ONLY = {"unread"}


def decode_value(value: str) -> str:
    """Decode RFC 2047 encoded words (Takeout encodes non-ASCII labels that way)."""
    try:
        return str(make_header(decode_header(value)))
    except (UnicodeDecodeError, LookupError, ValueError):
        return value


def split_labels(value: str) -> list[str]:
    """Split a decoded label list: comma separated, double quotes around labels with commas."""
    row = next(csv.reader([value], skipinitialspace=True, escapechar="\\"), [])
    return [label.strip() for label in row if label.strip()]


def labels_to_folders(header_value: str) -> tuple[list[str], list[str]]:
    """Return ``(folders, flags)`` for one ``X-Gmail-Labels`` header value.

    Every label except the state labels (Unread, Opened, Starred, Important, Draft and the
    inbox categories ``Category *``) is a folder; nested labels keep their ``/`` path.
    A message is ``\\Seen`` unless it carries ``Unread``.
    """
    folders: list[str] = []
    flags: list[str] = []
    labels = split_labels(decode_value(" ".join(header_value.split())))
    for label in labels:
        key = label.casefold()
        if key in _STATE_FLAGS:
            flag = _STATE_FLAGS[key]
            if flag not in flags:
                flags.append(flag)
        elif key in _STATE_ONLY or key.startswith("category "):
            continue
        elif label not in folders:
            folders.append(label)
    if labels and not any(label.casefold() == "unread" for label in labels) and "\\Seen" not in flags:
        flags.insert(0, "\\Seen")
    return folders, flags
