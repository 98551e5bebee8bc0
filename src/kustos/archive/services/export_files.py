"""Export files: where they are written, how they are handed out, and when they go.

Every export (API, dashboard) is written to ``$KUSTOS_HOME/exports/<customer>/<random>/<name>``
(directories 0700, files 0600), never to the system temp directory. The file is opened
for the response and unlinked at once, so nothing stays on disk after the download; a
file left behind by a crash is purged once it is older than ``export_lifetime`` (periodic
job and at worker start), and a customer's deletion removes its whole export directory.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import BinaryIO

from kustos.core import runtime


def root() -> Path:
    return runtime.settings().export_path


def customer_dir(customer_id: str) -> Path:
    if not customer_id or "/" in customer_id or customer_id.startswith("."):
        raise ValueError(f"not a customer id: {customer_id!r}")
    return root() / customer_id


def new_path(customer_id: str, filename: str) -> Path:
    """A fresh path for one export file of ``customer_id`` (its own 0700 directory)."""
    base = customer_dir(customer_id)
    base.mkdir(mode=0o700, parents=True, exist_ok=True)
    for directory in (root(), base):
        directory.chmod(0o700)
    export_dir = Path(tempfile.mkdtemp(prefix="ex-", dir=base))  # mkdtemp creates 0700
    return export_dir / os.path.basename(filename)


def open_once(path: Path) -> BinaryIO:
    """Open a finished export for streaming and remove it from disk right away.

    The open handle keeps the data readable until the response has been sent; the name
    and its directory are gone immediately, so an aborted download leaves nothing.
    """
    handle = path.open("rb")
    discard(path)
    return handle


def discard(path: Path) -> None:
    """Remove one export file and its private directory (missing files are fine)."""
    path.unlink(missing_ok=True)
    try:
        path.parent.rmdir()
    except OSError:
        pass


def purge_customer(customer_id: str) -> int:
    """Delete every export file of a customer; returns how many files were removed."""
    base = customer_dir(customer_id)
    if not base.exists():
        return 0
    removed = sum(1 for p in base.rglob("*") if p.is_file())
    shutil.rmtree(base, ignore_errors=True)
    return removed


def purge_expired(lifetime_seconds: float, now: float | None = None) -> int:
    """Delete export files older than ``lifetime_seconds``; returns how many were removed."""
    top = root()
    if not top.is_dir():
        return 0
    cutoff = (time.time() if now is None else now) - lifetime_seconds
    removed = 0
    for customer in top.iterdir():
        if not customer.is_dir():
            continue
        for export_dir in customer.iterdir():
            files = [p for p in export_dir.rglob("*") if p.is_file()] if export_dir.is_dir() else [export_dir]
            try:
                newest = max((p.stat().st_mtime for p in files), default=export_dir.stat().st_mtime)
            except FileNotFoundError:
                continue  # removed by the download meanwhile
            if newest > cutoff:
                continue
            removed += len(files)
            if export_dir.is_dir():
                shutil.rmtree(export_dir, ignore_errors=True)
            else:
                export_dir.unlink(missing_ok=True)
    return removed
