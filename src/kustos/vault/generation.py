"""Who took a customer's writer lock last: a writer skips re-reading the index when nobody else wrote.

Every process that takes a customer's writer lock stores a fresh random token at
``customers/<id>/writer-generation`` while it holds the lock. A store that finds its own last
token there knows that no other writer has held the lock since it did, so the index files and
the ledger state it holds are current and listing the index (which grows with the archive) can
be skipped. Any other value, or none, makes it re-read them. A re-read is also forced every
``max_age`` seconds, so a writer that does not store the token (an older version) is still seen.
The token is a hint only: it holds no data, and readers ignore it (docs/FORMAT.md).
"""

from __future__ import annotations

import os
import time

from kustos.vault.backends.base import Backend
from kustos.vault.errors import NotFound

NAME = "writer-generation"


class WriterGeneration:
    def __init__(self, backend: Backend, customer_id: str, max_age: float = 60.0):
        self.backend = backend
        self.name = f"customers/{customer_id}/{NAME}"
        self.max_age = max_age
        self._mine: bytes | None = None
        self._stale = True
        self._fresh_at = 0.0

    def claimed(self) -> None:
        """Called right after the writer lock was taken: note whether another writer held it
        since we last did, then leave our own token."""
        try:
            seen: bytes | None = self.backend.load(self.name)
        except NotFound:
            seen = None
        if seen is None or seen != self._mine:
            self._stale = True
        token = os.urandom(16)
        self.backend.store(self.name, token)
        self._mine = token

    def fresh(self) -> None:
        """The index and ledger were just read completely."""
        self._stale = False
        self._fresh_at = time.monotonic()

    def needs_refresh(self) -> bool:
        return self._stale or time.monotonic() - self._fresh_at > self.max_age
