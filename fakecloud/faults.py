"""Fault injection and request statistics (throttling, latency, concurrency).

Rules match on a path prefix (e.g. ``/v1.0/users/u1`` or ``/gmail/v1``). A throttle
rule answers the next ``count`` matching requests with 429 (or 503) and a
``Retry-After`` header in the service's own error shape. Concurrency is counted per
key (the mailbox) so tests can assert the client's bound.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass


@dataclass
class ThrottleRule:
    prefix: str
    count: int
    retry_after: float
    status: int = 429


@dataclass
class ThrottleEvent:
    path: str
    at: float
    retry_after: float


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._throttles: list[ThrottleRule] = []
            self._latency: list[tuple[str, float]] = []
            self._in_flight: Counter[str] = Counter()
            self.max_in_flight: Counter[str] = Counter()
            self.throttled: list[ThrottleEvent] = []
            self.requests: list[tuple[float, str, str]] = []  # (time, method, path)

    def add_throttle(self, prefix: str, count: int, retry_after: float, status: int = 429) -> None:
        with self._lock:
            self._throttles.append(ThrottleRule(prefix, count, retry_after, status))

    def add_latency(self, prefix: str, seconds: float) -> None:
        with self._lock:
            self._latency.append((prefix, seconds))

    def record(self, method: str, path: str) -> None:
        with self._lock:
            self.requests.append((time.monotonic(), method, path))

    def take_throttle(self, path: str) -> ThrottleRule | None:
        """Consume one matching throttle, if any remain."""
        with self._lock:
            for rule in self._throttles:
                if rule.count > 0 and path.startswith(rule.prefix):
                    rule.count -= 1
                    self.throttled.append(ThrottleEvent(path, time.monotonic(), rule.retry_after))
                    return rule
        return None

    def note_throttled(self, path: str, retry_after: float) -> None:
        with self._lock:
            self.throttled.append(ThrottleEvent(path, time.monotonic(), retry_after))

    def latency_for(self, path: str) -> float:
        with self._lock:
            return sum(seconds for prefix, seconds in self._latency if path.startswith(prefix))

    def enter(self, key: str) -> int:
        """Count a request in flight for ``key``; returns the new in-flight count."""
        with self._lock:
            self._in_flight[key] += 1
            now = self._in_flight[key]
            if now > self.max_in_flight[key]:
                self.max_in_flight[key] = now
            return now

    def leave(self, key: str) -> None:
        with self._lock:
            self._in_flight[key] -= 1

    def stats(self) -> dict[str, object]:
        with self._lock:
            return {
                "max_in_flight": dict(self.max_in_flight),
                "throttled": [{"path": e.path, "at": e.at, "retry_after": e.retry_after} for e in self.throttled],
                "requests": [{"at": at, "method": m, "path": p} for at, m, p in self.requests],
            }
