"""Compact text encoding of UID sets in IMAP sequence-set syntax ("1:30,32,40:41").

Cursors carry the set of UIDs already archived so deletions can be reported; runs
of consecutive UIDs (the normal case) collapse into ranges.
"""

from __future__ import annotations

from collections.abc import Iterable


class UidSetInvalid(ValueError):
    def __init__(self, text: str) -> None:
        super().__init__(f"not a UID set: {text[:60]!r}")


def encode_uids(uids: Iterable[int]) -> str:
    ordered = sorted(set(uids))
    parts: list[str] = []
    index = 0
    while index < len(ordered):
        start = end = ordered[index]
        while index + 1 < len(ordered) and ordered[index + 1] == end + 1:
            index += 1
            end = ordered[index]
        parts.append(str(start) if start == end else f"{start}:{end}")
        index += 1
    return ",".join(parts)


def decode_uids(text: str) -> set[int]:
    uids: set[int] = set()
    if not text:
        return uids
    try:
        for part in text.split(","):
            low, colon, high = part.partition(":")
            first = int(low)
            last = int(high) if colon else first
            if first <= 0 or last < first:
                raise UidSetInvalid(text)
            uids.update(range(first, last + 1))
    except ValueError as exc:
        if isinstance(exc, UidSetInvalid):
            raise
        raise UidSetInvalid(text)
    return uids
