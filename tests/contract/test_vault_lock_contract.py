"""Repository lock objects behave the same on every vault backend (local, memory, S3)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from kustos.vault.backends.base import Backend
from kustos.vault.errors import LockedError
from kustos.vault.replock import REPO, WRITER, BackendLock, locks_prefix
from tests.contract.vault_backends import KINDS, make_backend
from tests.servers.s3 import s3_bucket, s3_lock_bucket, s3_server  # noqa: F401


@pytest.fixture(params=KINDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    return make_backend(request.param, request, tmp_path)


def _lock(backend: Backend, scope: str = REPO, exclusive: bool = True, timeout: float = 0.3,
          ttl: float = 30.0) -> BackendLock:
    return BackendLock(backend, "acme", scope, exclusive, ttl=ttl, timeout=timeout)


def test_shared_locks_coexist_and_exclude_an_exclusive_one(backend: Backend) -> None:
    a, b = _lock(backend, exclusive=False), _lock(backend, exclusive=False)
    a.acquire()
    b.acquire()
    with pytest.raises(LockedError, match="locked by another writer"):
        _lock(backend).acquire()
    doc = json.loads(backend.load(a.name))
    assert set(doc) == {"host", "pid", "time", "expires", "exclusive", "scope"} and doc["exclusive"] is False
    a.release()
    b.release()
    with _lock(backend):
        with pytest.raises(LockedError):
            _lock(backend, exclusive=False).acquire()
        assert _lock(backend, scope=WRITER).acquire() is None  # scopes are independent
    assert [n for n in backend.list(locks_prefix("acme")) if n.startswith(locks_prefix("acme") + REPO)] == []


def test_exclusive_contenders_take_turns(backend: Backend) -> None:
    inside = []
    overlaps = []

    def work(n: int) -> None:
        with _lock(backend, timeout=30.0):
            inside.append(n)
            if len(inside) > 1:
                overlaps.append(list(inside))
            time.sleep(0.05)
            inside.remove(n)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert overlaps == [] and inside == []


def test_held_locks_are_refreshed_and_expired_ones_taken_over(backend: Backend) -> None:
    held = _lock(backend, ttl=0.6)
    held.acquire()
    first = json.loads(backend.load(held.name))["expires"]
    time.sleep(0.5)
    assert json.loads(backend.load(held.name))["expires"] > first  # refreshed while held
    with pytest.raises(LockedError):
        _lock(backend, timeout=0.5).acquire()  # a refreshed lock never goes stale
    # A holder that died: its lock is no longer refreshed and expires.
    assert held._stop is not None
    held._stop.set()
    time.sleep(0.8)
    taker = _lock(backend, timeout=2.0)
    taker.acquire()
    assert taker.stale_removed == 1
    taker.release()
