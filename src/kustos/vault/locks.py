"""The per-customer writer lock (one writer per customer at a time; readers never lock).

A ``flock`` on ``<lock_dir>/<customer>.lock``: it works between processes and between
two stores in one process, and the kernel drops it when the holder dies (kill -9), so a
crashed writer never leaves a stale lock. With an S3 vault shared by several machines a
``writer`` lock object in the backend (:mod:`kustos.vault.replock`) is taken as well,
after the flock (so the processes of one machine queue locally, not on S3).
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable
from pathlib import Path

from kustos.vault.errors import LockedError
from kustos.vault.replock import BackendLock


class WriterLock:
    def __init__(self, lock_dir: Path, customer_id: str, timeout: float = 60.0, remote: BackendLock | None = None):
        self.remote = remote
        self.path = Path(lock_dir) / f"{customer_id}.lock"
        self.customer_id = customer_id
        self.timeout = timeout
        self._fd: int | None = None
        # Run under the lock right after it was taken (the store notes who held it before).
        self.on_acquire: Callable[[], None] | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        if self._fd is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self._fd = fd
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise LockedError(self.customer_id, self.timeout)
                time.sleep(0.05)
        try:
            if self.remote is not None:
                self.remote.acquire()
            if self.on_acquire is not None:
                self.on_acquire()
        except BaseException:
            self.release()
            raise

    def release(self) -> None:
        if self.remote is not None:
            self.remote.release()
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
