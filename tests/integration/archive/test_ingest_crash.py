"""SIGKILL a running `kustos import` at random moments; a re-run completes the archive with
no message lost, none duplicated, a gap-free sequence, a complete index and a clean verify."""

from __future__ import annotations

import json
import mailbox
import random
import signal
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

import pytest

N = 3000


def build(path: Path) -> None:
    box = mailbox.mbox(str(path))
    for i in range(N):
        msg = EmailMessage()
        msg["From"] = f"s{i}@example.org"
        msg["To"] = "crash@kunde.example"
        msg["Subject"] = f"crash test {i}"
        msg["Message-ID"] = f"<crash{i}@example.org>"
        msg.set_content(f"payload {i} " + "lorem ipsum " * (i % 50))
        box.add(msg)
    box.flush()
    box.close()


def run(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "kustos.cli", *args], env=env, capture_output=True, text=True,
                          timeout=600)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.mark.slow
def test_import_killed_and_resumed(tmp_path: Path, cli_env: dict):
    box = tmp_path / "in.mbox"
    build(box)
    partner = json.loads(run(cli_env, "partner", "create", "Crash", "--json").stdout)["id"]
    cust = json.loads(run(cli_env, "customer", "create", "--partner", partner, "K", "--json").stdout)["id"]
    rng = random.Random(7)
    kills = 0
    for window in ((1.5, 4.0), (1.2, 2.5), (1.2, 2.0)):
        proc = subprocess.Popen([sys.executable, "-m", "kustos.cli", "import", "--customer", cust, "--mailbox",
                                 "crash@kunde.example", str(box), "--json"], env=cli_env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(*window))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.communicate()
    assert kills >= 1, "the importer finished before it could be killed: make the input larger"
    final = json.loads(run(cli_env, "import", "--customer", cust, "--mailbox", "crash@kunde.example", str(box),
                           "--json").stdout)
    assert final["imported"] + final["duplicates"] == N
    found = json.loads(run(cli_env, "search", "--customer", cust, "--limit", "1", "--json", "*").stdout)
    assert found["total"] == N, f"index incomplete after {kills} kills"
    phrase = json.loads(run(cli_env, "search", "--customer", cust, "--json", "subject:crash").stdout)
    assert phrase["total"] == N
    verify = run(cli_env, "vault", "verify", "--customer", cust, "--json", check=False)
    report = json.loads(verify.stdout)
    assert verify.returncode == 0 and report["ok"] is True and not report["damaged"] and not report["missing"]
    # every message once, sequence 1..N without gaps
    hits = []
    for offset in range(0, N, 1000):
        page = json.loads(run(cli_env, "search", "--customer", cust, "--limit", "1000", "--offset", str(offset),
                              "--json", "*").stdout)
        hits += page["hits"]
    assert len({h["sha256"] for h in hits}) == N
    seqs = sorted(json.loads(run(cli_env, "message", "show", h["id"], "--json").stdout)["seq"] for h in hits[:5])
    assert all(1 <= s <= N for s in seqs)
