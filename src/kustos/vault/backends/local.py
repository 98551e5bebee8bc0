"""Local-directory backend.

Atomicity: data is written to a temporary file in the target directory, fsynced, renamed
over the final name and the directory is fsynced, so a crash leaves either the old state
or the complete new object (plus possibly a ``.tmp-*`` leftover that :meth:`leftovers`
reports and garbage collection removes).
"""

from __future__ import annotations

import builtins
import errno
import os
import secrets
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from kustos.vault.backends.base import Backend, ObjectInfo, check_name
from kustos.vault.errors import NotFound, PermanentError, TransientError

TMP_PREFIX = ".tmp-"
_TRANSIENT = {errno.EAGAIN, errno.EINTR, errno.EBUSY, errno.ETIMEDOUT}


def _wrap(exc: OSError, name: str) -> Exception:
    if isinstance(exc, FileNotFoundError):
        return NotFound(name)
    if exc.errno in _TRANSIENT:
        return TransientError(f"local vault: {exc.strerror} on {name}")
    return PermanentError(f"local vault: {exc.strerror or exc} on {name}")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalBackend(Backend):
    """Objects are files below ``root``; ``retain_until`` is recorded nowhere (no WORM on disk)."""

    def __init__(self, root: Path, fsync: bool = True):
        self.root = Path(root)
        self.fsync = fsync
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, name: str) -> Path:
        return self.root / check_name(name)

    def load(self, name: str, offset: int = 0, size: int | None = None) -> bytes:
        try:
            with open(self._path(name), "rb") as fh:
                if offset:
                    fh.seek(offset)
                return fh.read() if size is None else fh.read(size)
        except OSError as exc:
            raise _wrap(exc, name)

    def store(self, name: str, data: bytes, retain_until: datetime | None = None) -> None:
        path = self._path(name)
        try:
            tmp = path.parent / f"{TMP_PREFIX}{secrets.token_hex(8)}"
            for attempt in range(3):  # a concurrent delete may prune the directory meanwhile
                path.parent.mkdir(parents=True, exist_ok=True)
                try:
                    fh = open(tmp, "wb")
                    break
                except FileNotFoundError:
                    if attempt == 2:
                        raise
            with fh:
                fh.write(data)
                if self.fsync:
                    fh.flush()
                    os.fsync(fh.fileno())
            os.replace(tmp, path)
            if self.fsync:
                _fsync_dir(path.parent)
        except OSError as exc:
            raise _wrap(exc, name)

    def delete(self, name: str) -> None:
        path = self._path(name)
        try:
            path.unlink()
        except OSError as exc:
            raise _wrap(exc, name)
        # Prune directories left empty (a destroyed customer leaves no trace).
        parent = path.parent
        while parent != self.root:
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent

    def list(self, prefix: str = "") -> Iterator[str]:
        # Walk only the deepest directory named fully by the prefix.
        base_dir = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        start = self.root / base_dir if base_dir else self.root
        if not start.is_dir():
            return
        names: list[str] = []
        for dirpath, _dirs, files in os.walk(start):
            rel_dir = os.path.relpath(dirpath, self.root)
            for fname in files:
                if fname.startswith(TMP_PREFIX):
                    continue
                rel = fname if rel_dir == "." else f"{rel_dir}/{fname}"
                if rel.startswith(prefix):
                    names.append(rel)
        yield from sorted(names)

    def info(self, name: str) -> ObjectInfo:
        try:
            st = self._path(name).stat()
        except OSError as exc:
            raise _wrap(exc, name)
        return ObjectInfo(name, st.st_size, st.st_mtime)

    def properties(self) -> dict[str, Any]:
        return {"kind": "local", "object_lock": False, "root": str(self.root)}

    def leftovers(self, older_than: float) -> builtins.list[Path]:
        """Temporary files of interrupted stores whose mtime is before ``older_than``."""
        found = []
        for dirpath, _dirs, files in os.walk(self.root):
            for fname in files:
                p = Path(dirpath) / fname
                if fname.startswith(TMP_PREFIX) and p.stat().st_mtime < older_than:
                    found.append(p)
        return found
