"""In-process memory backend (tests, ``memory://``)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from kustos.vault.backends.base import Backend, ObjectInfo, check_name
from kustos.vault.errors import NotFound


class MemoryBackend(Backend):
    """Objects in a dict guarded by a lock; contents vanish with the process."""

    def __init__(self) -> None:
        self._objects: dict[str, tuple[bytes, float, datetime | None]] = {}
        self._lock = threading.Lock()

    def load(self, name: str, offset: int = 0, size: int | None = None) -> bytes:
        with self._lock:
            try:
                data = self._objects[check_name(name)][0]
            except KeyError:
                raise NotFound(name)
        end = len(data) if size is None else offset + size
        return data[offset:end]

    def store(self, name: str, data: bytes, retain_until: datetime | None = None) -> None:
        with self._lock:
            self._objects[check_name(name)] = (bytes(data), time.time(), retain_until)

    def delete(self, name: str) -> None:
        with self._lock:
            if self._objects.pop(check_name(name), None) is None:
                raise NotFound(name)

    def list(self, prefix: str = "") -> Iterator[str]:
        with self._lock:
            names = sorted(n for n in self._objects if n.startswith(prefix))
        yield from names

    def info(self, name: str) -> ObjectInfo:
        with self._lock:
            try:
                data, mtime, retain = self._objects[check_name(name)]
            except KeyError:
                raise NotFound(name)
        return ObjectInfo(name, len(data), mtime, retain)

    def properties(self) -> dict[str, Any]:
        return {"kind": "memory", "object_lock": False}
