"""One throttle per tenant, shared by every backup worker thread of a process.

Graph throttles per mailbox / drive owner (at most 4 concurrent requests) and answers 429 with
``Retry-After``; a Retry-After one worker receives holds back every worker of the same tenant, so
the process does not keep hammering a throttled tenant from other threads.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from kustos.sources.http import KeyedLimiter, SharedPause


@dataclass(frozen=True)
class TenantThrottle:
    limiter: KeyedLimiter  # key: the mailbox / drive owner (user id)
    pause: SharedPause


_lock = threading.Lock()
_throttles: dict[tuple[str, str], TenantThrottle] = {}


def for_tenant(endpoint: str, tenant_id: str, per_owner: int = 4) -> TenantThrottle:
    """The process-wide throttle of ``tenant_id`` at ``endpoint`` (created on first use)."""
    key = (endpoint.rstrip("/").lower(), tenant_id.lower())
    with _lock:
        throttle = _throttles.get(key)
        if throttle is None or throttle.limiter.limit != per_owner:
            throttle = TenantThrottle(KeyedLimiter(per_owner), SharedPause())
            _throttles[key] = throttle
        return throttle
