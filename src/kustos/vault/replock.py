"""Repository locks stored in the backend (restic-style), so they work across machines (S3).

A lock is an object ``customers/<id>/locks/<scope>-<s|x>-<token>`` holding JSON
``{"host", "pid", "time", "expires", "exclusive", "scope"}``. A holder re-stores it with a
new expiry every ``ttl / 3`` seconds (a daemon thread); a lock whose expiry has passed is
stale (its holder died) and is deleted by the next taker. Two scopes:

- ``repo``: shared by backups for a whole run, exclusive for ``forget``/``prune``;
- ``writer``: exclusive between writers from ``put`` to ``commit`` (ledger sequence
  numbers and dedup need one writer at a time); taken together with the local ``flock``.

Acquiring: store the own lock, list the scope, delete stale locks; shared locks conflict
only with exclusive ones. On a conflict the newer lock (by time, then name) is withdrawn and
retried after a pause, the oldest one stays and waits: one total order, so two takers never
both win and never wait for each other. Clocks of the machines should agree to within a
fraction of ``ttl`` (NTP), as with restic.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import socket
import threading
import time
from typing import Any

from kustos.vault.backends.base import Backend
from kustos.vault.errors import LockedError, NotFound, VaultError

REPO, WRITER = "repo", "writer"


def locks_prefix(customer_id: str) -> str:
    return f"customers/{customer_id}/locks/"


class BackendLock:
    def __init__(self, backend: Backend, customer_id: str, scope: str, exclusive: bool, ttl: float = 120.0,
                 timeout: float = 60.0):
        if scope not in (REPO, WRITER):
            raise ValueError(f"unknown lock scope {scope!r}")
        self.backend = backend
        self.customer_id = customer_id
        self.scope = scope
        self.exclusive = exclusive
        self.ttl = ttl
        self.timeout = timeout
        self.name = ""
        self.created = 0.0
        self._stop: threading.Event | None = None
        self._thread: threading.Thread | None = None
        self._mutex = threading.Lock()
        self.stale_removed = 0

    @property
    def held(self) -> bool:
        return self._thread is not None and bool(self.name)

    # --- lock objects ---------------------------------------------------------------------
    def _doc(self) -> bytes:
        return json.dumps({"host": socket.gethostname(), "pid": os.getpid(), "time": self.created,
                           "expires": time.time() + self.ttl, "exclusive": self.exclusive,
                           "scope": self.scope}).encode()

    def _write(self) -> None:
        with self._mutex:
            if self.name:
                self.backend.store(self.name, self._doc())

    def _others(self) -> list[tuple[float, str, bool]]:
        """(time, name, exclusive) of the other live locks of this scope; stale ones are deleted."""
        out = []
        now = time.time()
        for name in list(self.backend.list(f"{locks_prefix(self.customer_id)}{self.scope}-")):
            if name == self.name:
                continue
            try:
                doc = json.loads(self.backend.load(name))
                expires, created, exclusive = float(doc["expires"]), float(doc["time"]), bool(doc["exclusive"])
            except NotFound:
                continue
            except (ValueError, KeyError, TypeError):
                expires, created, exclusive = 0.0, 0.0, True  # unreadable: treat as stale
            if expires < now:
                try:
                    self.backend.delete(name)
                    self.stale_removed += 1
                except NotFound:
                    pass
                continue
            out.append((created, name, exclusive))
        return out

    def _conflicts(self) -> list[tuple[float, str, bool]]:
        return [o for o in self._others() if self.exclusive or o[2]]

    # --- acquire / release ----------------------------------------------------------------
    def acquire(self) -> None:
        if self.held:
            return
        deadline = time.monotonic() + self.timeout
        mode = "x" if self.exclusive else "s"
        while True:
            self.created = time.time()
            self.name = f"{locks_prefix(self.customer_id)}{self.scope}-{mode}-{secrets.token_hex(8)}"
            self._write()
            self._start_refresh()
            while True:
                conflicts = self._conflicts()
                if not conflicts:
                    return
                mine = (self.created, self.name)
                if any((c[0], c[1]) < mine for c in conflicts):
                    break  # an older lock wins: withdraw ours and retry
                if time.monotonic() >= deadline:
                    break
                time.sleep(0.05)  # newer takers withdraw; wait for them
            self._withdraw()
            if time.monotonic() >= deadline:
                raise LockedError(self.customer_id, self.timeout)
            time.sleep(0.05 + random.random() * 0.1)

    def _start_refresh(self) -> None:
        stop = threading.Event()
        self._stop = stop

        def refresh() -> None:
            while not stop.wait(self.ttl / 3):
                try:
                    self._write()
                except VaultError:
                    continue  # retried at the next interval (expiry leaves room for two misses)

        self._thread = threading.Thread(target=refresh, name=f"vault-lock-{self.scope}", daemon=True)
        self._thread.start()

    def _withdraw(self) -> None:
        if self._stop is not None:
            self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._stop = self._thread = None
        with self._mutex:
            name, self.name = self.name, ""
        if name:
            try:
                self.backend.delete(name)
            except NotFound:
                pass

    def release(self) -> None:
        self._withdraw()

    def __enter__(self) -> BackendLock:
        self.acquire()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()
