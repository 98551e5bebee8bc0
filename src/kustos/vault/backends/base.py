"""The backend interface every storage backend implements.

Contract (tested by ``tests/contract/test_backend_contract.py`` against all backends):

- names are ``/``-separated relative paths of ``[A-Za-z0-9._-]`` segments;
- ``store`` is atomic: a reader sees either no object or the complete data, never a prefix;
  storing an existing name replaces it atomically;
- ``load(name, offset, size)`` returns ``size`` bytes from ``offset`` (fewer only at the end;
  ``size=None`` reads to the end); a missing name raises :class:`NotFound`;
- ``delete`` of a missing name raises :class:`NotFound`;
- ``list(prefix)`` yields every name starting with ``prefix`` (a plain string prefix), sorted;
- ``info(name)`` returns :class:`ObjectInfo`;
- ``properties()`` describes capabilities, at least ``{"object_lock": bool, "kind": str}``.

Failures raise :class:`TransientError` (retry may help) or :class:`PermanentError`.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kustos.vault.errors import InvalidName, NotFound

_SEGMENT = re.compile(r"^[A-Za-z0-9._-]+$")


@dataclass(frozen=True)
class ObjectInfo:
    name: str
    size: int
    mtime: float  # seconds since the epoch
    retain_until: datetime | None = None


def check_name(name: str) -> str:
    """Return ``name`` if it is a valid backend name, else raise :class:`InvalidName`."""
    parts = name.split("/")
    if not name or any(not _SEGMENT.match(p) or p in (".", "..") for p in parts):
        raise InvalidName(f"invalid vault object name: {name!r}")
    return name


class Backend(ABC):
    """Minimal object storage (like borgstore/restic/kopia backends)."""

    @abstractmethod
    def load(self, name: str, offset: int = 0, size: int | None = None) -> bytes: ...

    @abstractmethod
    def store(self, name: str, data: bytes, retain_until: datetime | None = None) -> None: ...

    @abstractmethod
    def delete(self, name: str) -> None: ...

    @abstractmethod
    def list(self, prefix: str = "") -> Iterator[str]: ...

    @abstractmethod
    def info(self, name: str) -> ObjectInfo: ...

    @abstractmethod
    def properties(self) -> dict[str, Any]: ...

    def exists(self, name: str) -> bool:
        """True when ``name`` exists (derived from :meth:`info`)."""
        try:
            self.info(name)
        except NotFound:
            return False
        return True
