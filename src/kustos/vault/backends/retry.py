"""The one place transient backend errors are retried (exponential backoff with jitter)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, TypeVar

from kustos.vault.backends.base import Backend, ObjectInfo
from kustos.vault.errors import TransientError

T = TypeVar("T")


class RetryingBackend(Backend):
    """Wraps a backend; retries :class:`TransientError` up to ``attempts`` times in total."""

    def __init__(self, inner: Backend, attempts: int = 6, base_delay: float = 0.1, max_delay: float = 5.0,
                 sleep: Callable[[float], None] = time.sleep):
        self.inner = inner
        self.attempts = attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._sleep = sleep

    def _call(self, fn: Callable[[], T]) -> T:
        for attempt in range(self.attempts):
            try:
                return fn()
            except TransientError:
                if attempt == self.attempts - 1:
                    raise
                delay = min(self.max_delay, self.base_delay * (2 ** attempt))
                self._sleep(delay * (0.5 + random.random() / 2))
        raise AssertionError("unreachable")

    def load(self, name: str, offset: int = 0, size: int | None = None) -> bytes:
        return self._call(lambda: self.inner.load(name, offset, size))

    def store(self, name: str, data: bytes, retain_until: datetime | None = None) -> None:
        self._call(lambda: self.inner.store(name, data, retain_until))

    def delete(self, name: str) -> None:
        self._call(lambda: self.inner.delete(name))

    def list(self, prefix: str = "") -> Iterator[str]:
        return iter(self._call(lambda: list(self.inner.list(prefix))))

    def info(self, name: str) -> ObjectInfo:
        return self._call(lambda: self.inner.info(name))

    def properties(self) -> dict[str, Any]:
        return self._call(self.inner.properties)
