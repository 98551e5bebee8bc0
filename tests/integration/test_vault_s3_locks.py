"""Backend lock objects on S3 (moto server): several "machines" (own homes, so no shared
flock) write one customer; prune waits for backups; a killed holder's lock is taken over."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from kustos.vault.errors import LockedError
from kustos.vault.replock import REPO, locks_prefix
from tests.integration.vault_lock_child import vault_from
from tests.servers.s3 import s3_bucket, s3_server  # noqa: F401
from tests.unit.vault.vault_helpers import mail

pytestmark = pytest.mark.s3
ROOT = Path(__file__).parents[2]


@pytest.fixture
def cfg(tmp_path: Path, s3_server: dict[str, Any], s3_bucket: str) -> dict[str, Any]:  # noqa: F811
    return {**s3_server, "url": f"s3://{s3_bucket}/v", "key": base64.b64encode(os.urandom(32)).decode(),
            "home": str(tmp_path / "test-home")}


def _spawn(cfg: dict[str, Any], tmp: Path, name: str, *args: str, **extra: Any) -> subprocess.Popen[str]:
    child = {**cfg, **extra, "home": str(tmp / name)}
    return subprocess.Popen([sys.executable, "-m", "tests.integration.vault_lock_child", json.dumps(child), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)


def test_writers_on_several_machines_never_lose_or_duplicate(cfg: dict[str, Any], tmp_path: Path) -> None:
    procs = [_spawn(cfg, tmp_path, f"machine{w}", "write", "15", worker=w) for w in range(3)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1][-1500:] for o in outs]
    ids = [set(json.loads(o[0])) for o in outs]
    vault = vault_from(cfg)
    store = vault.store("acme")
    objects = store.objects()
    assert set().union(*ids) <= set(objects)  # nothing lost
    assert len(objects) == 15 + 3 * 15
    located = Counter(e.id for e in store.entries() if e.type != "c")
    assert max(located.values()) == 1  # shared content stored once: every writer saw the others
    seqs = sorted(e.seq for e in objects.values())
    assert seqs == list(range(1, len(objects) + 1))  # one gap-free ledger sequence
    for i in range(15):
        assert store.get(store.load_id(mail(i))) == mail(i)
    assert vault.verify("acme").ok
    assert list(vault.backend.list(locks_prefix("acme"))) == []  # every lock released


def test_prune_waits_for_backups_holding_shared_locks(cfg: dict[str, Any], tmp_path: Path) -> None:
    holder = _spawn(cfg, tmp_path, "backup", "hold", "4")
    assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
    vault = vault_from({**cfg, "ttl": 3.0})
    store = vault.store("acme")
    lock = store.backend_lock(REPO, exclusive=True)
    lock.timeout = 0.5
    with pytest.raises(LockedError, match="locked by another writer"):
        lock.acquire()
    started = time.monotonic()
    result = store.prune()  # waits (lock_timeout 60 s) until the backup commits
    waited = time.monotonic() - started
    out, err = holder.communicate(timeout=60)
    assert holder.returncode == 0, err[-1500:]
    assert waited > 1.5 and result["snapshots"] == 1
    sid = out.split()[-1]
    entry = store.snapshots.lookup(sid, "anna", "held.txt")
    assert entry is not None and store.get(entry.id or "") == b"held"  # the backup's data survived


def test_expired_lock_of_a_killed_process_is_taken_over(cfg: dict[str, Any], tmp_path: Path) -> None:
    dead = _spawn(cfg, tmp_path, "dying", "die", ttl=2.0)
    assert dead.stdout is not None and dead.stdout.readline().strip() == "locked"
    dead.wait(timeout=30)
    assert dead.returncode == -9
    vault = vault_from({**cfg, "ttl": 2.0})
    store = vault.store("acme")
    assert len(list(vault.backend.list(locks_prefix("acme")))) == 1  # the dead holder's lock is still there
    shared = store.backend_lock(REPO, exclusive=False)
    shared.timeout = 0.3
    with pytest.raises(LockedError):
        shared.acquire()  # not yet expired
    shared.timeout = 10.0
    started = time.monotonic()
    shared.acquire()
    assert shared.stale_removed == 1 and time.monotonic() - started < 5
    shared.release()
    assert list(vault.backend.list(locks_prefix("acme"))) == []
