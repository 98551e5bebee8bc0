"""Framework-free readers for mail files: EML, EMLX, MBOX, Maildir, PST/OST, MSG.

Public API::

    read_path(path, progress=None) -> Iterator[ImportItem | Quarantined | Skipped]
    count_estimate(path) -> int | None

``read_path`` accepts a file or a directory (walked recursively, sorted, hidden files
ignored). Formats are detected by content first, extension second. Bad input is never
dropped silently: it comes back as ``Quarantined`` (with its bytes and a reason) or, for
entries deliberately not imported, ``Skipped`` (with a reason).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from .model import ImportItem, Quarantined, Skipped
from .registry import READERS, Reader, reader_for, register
from .walk import Progress, estimate, read_file, walk

__all__ = [
    "READERS",
    "ImportItem",
    "Progress",
    "Quarantined",
    "Reader",
    "Skipped",
    "count_estimate",
    "read_path",
    "reader_for",
    "register",
]


def read_path(
    path: Path | str, progress: Progress | None = None
) -> Iterator[ImportItem | Quarantined | Skipped]:
    """Yield every item under ``path`` one at a time (streaming; memory stays bounded).

    ``progress(done, total)`` is called after each yielded entry with the number of
    entries so far and ``count_estimate(path)`` (computed once, may be None).
    Raises FileNotFoundError if ``path`` does not exist.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file or directory: {path}")
    total = count_estimate(path) if progress is not None else None
    entries = walk(path) if path.is_dir() else read_file(path, "", in_walk=False)
    for done, entry in enumerate(entries, start=1):
        yield entry
        if progress is not None:
            progress(done, total)


def count_estimate(path: Path | str) -> int | None:
    """A cheap estimate of the number of entries ``read_path`` yields, or None if unknown."""
    path = Path(path)
    try:
        return estimate(path)
    except OSError:
        return None
