"""SIGKILL a running `kustos customer export` and run it again: the export completes, every file
verifies (sha256sum -c MANIFEST.sha256, verify.py against the ledger proofs and time-stamps), no
`.part` file is left and files written before the kill are kept."""

from __future__ import annotations

import csv
import json
import mailbox
import os
import signal
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

import pytest

N = 400


def build(path: Path) -> None:
    box = mailbox.mbox(str(path))
    for i in range(N):
        msg = EmailMessage()
        msg["From"] = f"s{i}@lieferant.example"
        msg["To"] = "ausstieg@kunde.example"
        msg["Subject"] = f"Ausstieg {i}"
        msg["Message-ID"] = f"<ausstieg-crash{i}@lieferant.example>"
        msg.set_content(f"payload {i}\n")
        msg.add_attachment(os.urandom(20_000), maintype="application", subtype="octet-stream", filename=f"a{i}.bin")
        box.add(msg)
    box.flush()
    box.close()


def kustos(env: dict, *args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "kustos.cli", *args], env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    return proc


@pytest.mark.slow
def test_exit_export_killed_and_resumed(tmp_path: Path, cli_env: dict):
    box = tmp_path / "in.mbox"
    build(box)
    partner = json.loads(kustos(cli_env, "partner", "create", "Ausstieg", "--json").stdout)["id"]
    cust = json.loads(kustos(cli_env, "customer", "create", "--partner", partner, "K", "--json").stdout)["id"]
    kustos(cli_env, "import", "--customer", cust, "--mailbox", "ausstieg@kunde.example", str(box), "--json")
    out = tmp_path / "export"
    argv = [sys.executable, "-m", "kustos.cli", "customer", "export", cust, "-o", str(out), "--json"]

    proc = subprocess.Popen(argv, env=cli_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    written: list[Path] = []
    while time.monotonic() < deadline and proc.poll() is None:
        written = list(out.rglob("*.eml")) if out.is_dir() else []
        if len(written) >= N // 4:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the export finished before it could be killed: make the archive larger"
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    assert not (out / "MANIFEST.sha256").exists()  # an unfinished export has no manifest
    before = {p: p.stat().st_mtime_ns for p in written}

    result = json.loads(kustos(cli_env, *argv[3:]).stdout)
    assert result["ok"] is True and result["messages"] == N and result["files"] == N
    assert result["kept"] >= len(before) - 1  # files finished before the kill are not written again
    assert sum(1 for p, t in before.items() if p.stat().st_mtime_ns == t) >= len(before) - 1
    assert not list(out.rglob("*.part"))
    check = subprocess.run(["sha256sum", "--quiet", "-c", "MANIFEST.sha256"], cwd=out, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    verify = subprocess.run([sys.executable, "-I", str(out / "verify.py"), str(out)], capture_output=True, text=True,
                            timeout=300)
    assert verify.returncode == 0 and "RESULT: OK" in verify.stdout, verify.stdout[-2000:]
    assert f"checked 1 batches, {N} archived files" in verify.stdout or f", {N} archived files" in verify.stdout
    with (out / "index.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == N and len({r["sha256"] for r in rows}) == N
    assert sorted(r["path"] for r in rows) == sorted(p.relative_to(out).as_posix() for p in out.rglob("*.eml"))
