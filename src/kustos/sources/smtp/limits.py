"""Connection limits of the journaling receiver: per client IP and in total.

A client over its limit gets ``421`` and the connection is closed before the greeting,
so one host flooding the receiver with idle connections cannot take every slot.
"""

from __future__ import annotations

import threading
from collections import Counter

DEFAULT_MAX_CONNECTIONS = 200
DEFAULT_MAX_PER_CLIENT = 20


class ConnectionLimiter:
    """Counts open connections; :meth:`acquire` answers the refusal text or ``None``."""

    def __init__(self, per_client: int = DEFAULT_MAX_PER_CLIENT, total: int = DEFAULT_MAX_CONNECTIONS) -> None:
        if per_client < 1 or total < 1:
            raise ValueError("connection limits must be at least 1")
        self.per_client = per_client
        self.total = total
        self._open: Counter[str] = Counter()
        self._count = 0
        self._lock = threading.Lock()

    def acquire(self, ip: str) -> str | None:
        with self._lock:
            if self._count >= self.total:
                return "421 4.7.0 Too many connections to this server, try again later"
            if self._open[ip] >= self.per_client:
                return f"421 4.7.0 Too many connections from your host [{ip}], try again later"
            self._open[ip] += 1
            self._count += 1
            return None

    def release(self, ip: str) -> None:
        with self._lock:
            if self._open[ip] > 0:
                self._open[ip] -= 1
                self._count -= 1
            if self._open[ip] <= 0:
                del self._open[ip]

    def open_connections(self, ip: str | None = None) -> int:
        with self._lock:
            return self._count if ip is None else self._open.get(ip, 0)
