"""Prune is crash-safe: SIGKILL at random backend writes, then verify passes and every remaining
snapshot restores byte for byte; the next prune completes."""

from __future__ import annotations

import base64
import hashlib
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

from kustos.vault.policy import Policy
from kustos.vault.vault import Vault
from tests.integration.vault_prune_child import OPTIONS
from tests.unit.vault.vault_helpers import mail, make_vault


def _prepare(home: Path, key: str) -> dict[str, dict[str, bytes]]:
    vault = make_vault(home, OPTIONS, master_key=key)
    store = vault.store("acme")
    for i in range(30):
        store.put(mail(i), "mail", retention_year=2031 if i % 3 else None)
    store.commit()
    files = {f"docs/f{i}.txt": mail(100 + i, size=3000) for i in range(40)}
    expected: dict[str, dict[str, bytes]] = {}
    parent = None
    for round_ in range(5):
        for i in range(round_ * 7, round_ * 7 + 12):
            files[f"docs/f{i % 40}.txt"] = mail(1000 * (round_ + 1) + i, size=3000)
        b = store.snapshots.builder(parent=parent)
        for path, data in files.items():
            old = b.parent_entry("anna", path)
            if old is None or old.sha256 != hashlib.sha256(data).hexdigest():
                b.put("anna", path, data, "file")
        parent = b.commit()
        expected[parent] = dict(files)
    removed = store.forget(Policy(last=2))
    for sid in removed:
        expected.pop(sid)
    return expected


def _check(home: Path, key: str, expected: dict[str, dict[str, bytes]]) -> Vault:
    vault = make_vault(home, OPTIONS, master_key=key)
    report = vault.verify("acme")
    assert report.ok, report.as_dict()
    store = vault.store("acme")
    assert sorted(store.snapshots.ids()) == sorted(expected)
    for sid, files in expected.items():
        got = {p: store.get(e.id or "") for p, e in store.snapshots.walk(sid, "anna")}
        assert got == files, sid
    for i in range(30):
        assert store.get(store.load_id(mail(i))) == mail(i)  # archive mail is never pruned
    return vault


def _child(home: Path, key: str, k: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tests.integration.vault_prune_child", str(home), key, str(k)], capture_output=True, text=True,
                          timeout=300, check=False, cwd=Path(__file__).parents[2])


def test_prune_survives_sigkill_at_random_points(tmp_path: Path) -> None:
    key = base64.b64encode(os.urandom(32)).decode()
    base = tmp_path / "base"
    expected = _prepare(base, key)
    full = tmp_path / "full"
    shutil.copytree(base, full)
    done = _child(full, key, 0)
    assert done.returncode == 0, done.stderr[-2000:]
    writes = int(done.stdout.split()[-1])
    assert writes >= 5
    _check(full, key, expected)
    points = sorted(set(random.Random(11).sample(range(1, writes + 1), min(8, writes)) + [1, writes]))
    for k in points:
        home = tmp_path / f"kill{k}"
        shutil.copytree(base, home)
        proc = _child(home, key, k)
        assert proc.returncode == -9, (k, proc.returncode, proc.stderr[-2000:])
        _check(home, key, expected)
        time.sleep(1.1)  # the killed prune's lock object expires (ttl 1 s); the next prune takes over
        vault = make_vault(home, OPTIONS, master_key=key)
        vault.prune("acme")
        vault.gc(grace_seconds=0)
        _check(home, key, expected)
        usage = vault.store("acme").usage()
        scan = sum(vault.backend.info(n).size for n in vault.backend.list("customers/acme/packs/"))
        assert usage["stored_bytes"] == scan
        shutil.rmtree(home)
