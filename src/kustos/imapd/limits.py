"""Bounds on what one client may make the server do: failed logins per (user, address), connections
in total and per address."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    max_line: int = 8192  # bytes of one command line
    max_literal: int = 64 * 1024  # bytes of one literal (no APPEND: commands are small)
    max_command: int = 256 * 1024  # bytes of one command with its literals
    idle_timeout: float = 1800.0  # seconds without a command once logged in (RFC 3501: at least 30 min)
    login_timeout: float = 60.0  # seconds without a command before logging in
    max_connections: int = 200
    max_connections_per_client: int = 20
    failures_before_lock: int = 5  # failed logins per (user, address) ...
    lock_window: float = 900.0  # ... within this many seconds lock the pair for as long
    failure_delay: float = 1.0  # seconds before a refused login is answered


class AuthThrottle:
    """Failed logins lock a (user name, client address) pair, never the account (as the dashboard's
    sign-in does): a stranger cannot lock the owner out from the owner's own address.

    This one counts in the memory of its process (the protocol core on its own, unit tests). The
    servers Kustos runs (``kustos imapd``, ``kustos serve --imap-port``) use
    ``kustos.imapd.lockout.SharedThrottle``: the same interface, counted in the database, so
    guesses spread over several processes and the dashboard add up. The session calls these
    methods from a worker thread."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._failures: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        entries = self._failures[key]
        while entries and entries[0] < now - self.limits.lock_window:
            entries.popleft()
        return entries

    def locked(self, user: str, client: str) -> bool:
        key = (user.lower(), client)
        with self._lock:
            locked = len(self._recent(key, time.monotonic())) >= self.limits.failures_before_lock
            if not self._failures[key]:
                del self._failures[key]
            return locked

    def failure(self, user: str, client: str) -> None:
        with self._lock:
            if len(self._failures) > 100_000:  # bounded memory under a spray of names
                self._failures.clear()
            self._recent((user.lower(), client), time.monotonic()).append(time.monotonic())

    def success(self, user: str, client: str) -> None:
        with self._lock:
            self._failures.pop((user.lower(), client), None)


class ConnectionLimiter:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.total = 0
        self.per_client: dict[str, int] = defaultdict(int)

    def acquire(self, client: str) -> str | None:
        """None when admitted, else the reason for refusing."""
        if self.total >= self.limits.max_connections:
            return "too many connections"
        if self.per_client[client] >= self.limits.max_connections_per_client:
            return "too many connections from your address"
        self.total += 1
        self.per_client[client] += 1
        return None

    def release(self, client: str) -> None:
        self.total -= 1
        self.per_client[client] -= 1
        if self.per_client[client] <= 0:
            del self.per_client[client]
