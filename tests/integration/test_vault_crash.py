"""Crash safety: SIGKILL a writer at random moments; afterwards verify passes and every
acknowledged put (commit returned) reads back byte-exact."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from kustos.config import Settings
from kustos.vault.factory import open_vault
from kustos.vault.options import VaultOptions

REPO = Path(__file__).resolve().parents[2]
OPTIONS = VaultOptions(pack_size=48 * 1024, chunk_threshold=96 * 1024, chunk_avg=16 * 1024,
                       train_at=30, retrain_every=120, dict_size=8 * 1024, ledger_batch=25, lock_timeout=20.0)
MASTER = "11" * 32

CHILD = r"""
import random, sys
from pathlib import Path
from kustos.config import Settings
from kustos.vault.factory import open_vault
from kustos.vault.options import VaultOptions
from tests.integration.test_vault_crash import OPTIONS, MASTER, payload
run = int(sys.argv[2])
vault = open_vault(Settings(home=Path(sys.argv[1]), master_key=MASTER), OPTIONS)
store = vault.store("acme")
print("ready", flush=True)
i = 0
while True:
    batch = []
    for _ in range(random.Random(run * 7919 + i).randint(1, 12)):
        year = (None, 2030, 2031)[i % 3]
        res = store.put(payload(run, i), "mail", retention_year=year, meta={"run": run, "i": i})
        batch.append((i, res.id))
        i += 1
    store.commit()
    for n, oid in batch:
        print(f"ack {n} {oid}", flush=True)
"""


def payload(run: int, i: int) -> bytes:
    """Deterministic content: mostly mail-like text, sometimes a large (chunked) binary."""
    rnd = random.Random(run * 1_000_003 + i)
    if i % 17 == 5:
        return rnd.randbytes(rnd.randint(100_000, 300_000))
    if i % 11 == 3:
        return f"duplicate mail body {i % 4}\n".encode() * 50  # exercises dedup across runs
    words = " ".join(rnd.choice(["alpha", "beta", "gamma", "archive", "mail", "ledger"]) for _ in range(400))
    return f"From: u{i}@example.org\nSubject: run {run} mail {i}\n\n{words}\n".encode()


def test_sigkill_at_random_moments_never_loses_acknowledged_puts(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = dict(os.environ, PYTHONPATH=f"{REPO / 'src'}{os.pathsep}{REPO}")
    acked: dict[str, bytes] = {}
    rnd = random.Random(1234)
    iterations = 0
    while iterations < 40:
        proc = subprocess.Popen([sys.executable, "-c", CHILD, str(home), str(iterations)], cwd=REPO, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read() if proc.stderr else ""
        time.sleep(rnd.uniform(0.0, 0.4))
        os.kill(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        assert proc.returncode == -signal.SIGKILL, err
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[0] == "ack":
                acked[parts[2]] = payload(iterations, int(parts[1]))
        iterations += 1
        if iterations % 8 == 0:
            check(home, acked)
    assert iterations == 40 and len(acked) >= 20
    check(home, acked)
    vault = open_vault(Settings(home=home, master_key=MASTER), OPTIONS)
    collected = vault.gc(grace_seconds=0)  # leftovers of killed writers go away ...
    assert collected["packs_deleted"] + collected["leftovers_deleted"] >= 1
    check(home, acked)  # ... and nothing acknowledged goes with them


def check(home: Path, acked: dict[str, bytes]) -> None:
    vault = open_vault(Settings(home=home, master_key=MASTER), OPTIONS)
    report = vault.verify()
    assert report.ok, (report.damaged[:3], report.missing[:3])
    store = vault.store("acme")
    for oid, data in acked.items():
        assert store.get(oid) == data
