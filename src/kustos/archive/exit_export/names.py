"""File and directory names of the exit export, safe on Windows and Linux, unique and stable.

A name segment keeps letters, digits and ``. _ - @ + = , ( ) space``; anything else (and
Windows' reserved names, trailing dots and spaces) is replaced, and a segment that had to be
changed or shortened gets ``~`` and the first 8 hex digits of the SHA-256 of the original name,
so two folders never share a directory (also when they differ only in case: the directory names
of one mailbox are compared case-insensitively, and colliding ones all get the suffix).
A message file is ``<UTC date>_<archive id>.<ext>``: the archive id makes it unique and stable."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import datetime

MAX_SEGMENT = 60
_UNSAFE = re.compile(r"[^\w.@+=,() -]+", re.UNICODE)
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
EXTENSIONS = {"message": "eml", "contact": "vcf", "appointment": "ics", "task": "ics"}
NO_FOLDER = "_no folder"


def _tag(original: str) -> str:
    return hashlib.sha256(original.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def segment(original: str) -> str:
    """One safe path segment for ``original`` (stable: the same input gives the same name)."""
    cleaned = _UNSAFE.sub("_", original).strip(" .") or "_"
    if cleaned.split(".")[0].upper() in _RESERVED:
        cleaned = "_" + cleaned
    if cleaned == original and len(cleaned) <= MAX_SEGMENT:
        return cleaned
    return f"{cleaned[:MAX_SEGMENT - 9].rstrip(' .')}~{_tag(original)}"


def folder_dirs(paths: Iterable[str]) -> dict[str, str]:
    """Relative directory (``/``-separated) for each folder path of one mailbox."""
    plain = {p: "/".join(segment(s) for s in (p.split("/") if p else [NO_FOLDER]) if s != "") or segment(p)
             for p in paths}
    by_fold: dict[str, list[str]] = {}
    for p, rel in plain.items():
        by_fold.setdefault(rel.casefold(), []).append(p)
    out = {}
    for p, rel in plain.items():
        if len(by_fold[rel.casefold()]) > 1:  # differ only in case (or in replaced characters)
            rel = f"{rel}~{_tag(p)}"
        out[p] = rel
    return out


def mailbox_dirs(addresses: Iterable[str]) -> dict[str, str]:
    """Directory name per mailbox address (case-insensitively unique)."""
    plain = {a: segment(a or "_no mailbox") for a in addresses}
    counts: dict[str, int] = {}
    for rel in plain.values():
        counts[rel.casefold()] = counts.get(rel.casefold(), 0) + 1
    return {a: (f"{rel}~{_tag(a)}" if counts[rel.casefold()] > 1 else rel) for a, rel in plain.items()}


def message_file(archive_id: str, when: datetime | None, kind: str = "message") -> str:
    stamp = when.strftime("%Y-%m-%d_%H%M%S") if when else "0000-00-00_000000"
    return f"{stamp}_{archive_id}.{EXTENSIONS.get(kind, 'eml')}"
