"""Writing the export directory: never a half-written file, and a re-run continues.

Every file is written to ``<name>.part``, flushed to disk and renamed; a file already present
whose SHA-256 is the expected one is kept (a re-run after a crash skips it). The manifest
collects ``<sha256>  <relative path>`` lines in ``MANIFEST.sha256.part`` while the run goes on
(streamed, constant memory) and becomes ``MANIFEST.sha256`` when the last file is written."""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

MANIFEST = "MANIFEST.sha256"
PART = ".part"
_BLOCK = 1 << 20


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(_BLOCK):
            h.update(block)
    return h.hexdigest()


class ExportBusy(RuntimeError):
    """Another run is writing the same directory."""


class ExportDir:
    """The export's directory: atomic writes, skip-if-present, the manifest and counters."""

    def __init__(self, root: Path):
        self.root = root
        self.written = 0
        self.kept = 0
        self.bytes = 0
        root.mkdir(parents=True, exist_ok=True)
        self._lock = os.open(root, os.O_RDONLY)
        try:  # one run per directory (released by the kernel when the process dies)
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock)
            raise ExportBusy(f"{root} is being written by another export run") from None
        for stale in root.rglob(f"*{PART}"):  # left by a crash: never taken for a finished file
            stale.unlink(missing_ok=True)
        (root / MANIFEST).unlink(missing_ok=True)  # this run writes it again, last
        self._manifest = (root / (MANIFEST + PART)).open("w", encoding="utf-8", newline="\n")

    def path(self, rel: str) -> Path:
        return self.root.joinpath(*rel.split("/"))

    def present(self, rel: str, sha256: str, size: int | None = None) -> bool:
        """Whether ``rel`` exists with exactly these bytes (hashing it only when the size fits)."""
        target = self.path(rel)
        try:
            if size is not None and target.stat().st_size != size:
                return False
        except FileNotFoundError:
            return False
        return target.is_file() and sha256_file(target) == sha256

    def keep(self, rel: str, sha256: str) -> None:
        """List ``rel``, found present with ``sha256`` by the caller, in the manifest."""
        self.kept += 1
        self.bytes += self.path(rel).stat().st_size
        self._manifest.write(f"{sha256}  {rel}\n")

    def put(self, rel: str, data: bytes | Iterable[bytes], sha256: str | None = None, check: bool = True) -> str:
        """Write ``rel`` (unless present with ``sha256``; ``check=False``: the caller found it absent)
        and list it in the manifest; returns its SHA-256."""
        if isinstance(data, bytes):
            digest = sha256 or hashlib.sha256(data).hexdigest()
            size: int | None = len(data)
            chunks: Iterable[bytes] = (data,)
        else:
            digest, size, chunks = sha256 or "", None, data
        if check and digest and self.present(rel, digest, size):
            self.kept += 1
            self.bytes += self.path(rel).stat().st_size
        else:
            digest = self._write(rel, chunks)
            self.written += 1
        self._manifest.write(f"{digest}  {rel}\n")
        return digest

    def _write(self, rel: str, chunks: Iterable[bytes]) -> str:
        target = self.path(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + PART)
        h = hashlib.sha256()
        with tmp.open("wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
                h.update(chunk)
                self.bytes += len(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        return h.hexdigest()

    def finish(self) -> None:
        """Write the manifest (last file of the export)."""
        self._manifest.flush()
        os.fsync(self._manifest.fileno())
        self._manifest.close()
        os.replace(self.root / (MANIFEST + PART), self.root / MANIFEST)
        os.close(self._lock)

    def abort(self) -> None:
        if not self._manifest.closed:
            self._manifest.close()
            os.close(self._lock)
