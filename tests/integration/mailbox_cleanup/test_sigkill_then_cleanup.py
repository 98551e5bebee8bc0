"""SIGKILL `kustos source run` mid-archiving, then `kustos source cleanup`: every message deleted at the
server is in the archive with its exact bytes (SHA-256), and the server still holds every message that is not."""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.integration.mailbox_cleanup.helpers import deliver, mail, server_files

N = 3000


def cli(env: dict, *args: str, code: int = 0) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "kustos.cli", *args], env=env, capture_output=True, timeout=600)
    assert proc.returncode == code, (args, proc.returncode, proc.stderr[-500:])
    return proc


def out(env: dict, *args: str, code: int = 0):
    return json.loads(cli(env, *args, code=code).stdout)


def _index_files(home: Path, customer: str) -> int:
    index = home / "vault" / "customers" / customer / "index"
    return sum(1 for p in index.rglob("*") if p.is_file()) if index.is_dir() else 0


@pytest.mark.dovecot
@pytest.mark.slow
def test_cleanup_after_a_killed_run_deletes_only_archived_mail(dovecot, cli_env, tmp_path):
    dovecot.add_user("kira", "kira-pw-1")
    delivered = {}
    for i in range(N):
        raw = mail(i, "kill", body=f"message {i} " + "lorem ipsum " * (i % 40))
        delivered[hashlib.sha256(raw).hexdigest()] = raw
        deliver(dovecot, "kira", "INBOX", raw, age_days=60)
    partner = out(cli_env, "partner", "create", "P", "--json")["id"]
    cust = out(cli_env, "customer", "create", "--partner", partner, "K", "--json")["id"]
    added = subprocess.run([sys.executable, "-m", "kustos.cli", "source", "add", "imap", "--customer", cust,
                            "--host", "127.0.0.1", "--port", str(dovecot.imaps_port), "--security", "tls",
                            "--username", "kira", "--password-stdin", "--no-verify-tls", "--json"],
                           env=cli_env, input=b"kira-pw-1\n", capture_output=True, timeout=120)
    assert added.returncode == 0, added.stderr
    source = json.loads(added.stdout)["id"]

    # no rule yet: a one-line error and a non-zero exit
    refused = cli(cli_env, "source", "cleanup", source, "--json", code=1)
    assert b"no cleanup rule" in refused.stderr and refused.stderr.strip().count(b"\n") == 0
    assert b"no source" in cli(cli_env, "source", "cleanup", "sr_nonexistent", "--json", code=1).stderr

    home = Path(cli_env["KUSTOS_HOME"])
    run = subprocess.Popen([sys.executable, "-m", "kustos.cli", "source", "run", source, "--json"], env=cli_env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while run.poll() is None and _index_files(home, cust) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    killed = run.poll() is None
    run.send_signal(signal.SIGKILL)
    run.wait()
    assert killed, "the run finished before it could be killed: deliver more messages"

    cli(cli_env, "vault", "seal", "--customer", cust, "--json")  # close the open batch: archived mail may go
    result = out(cli_env, "source", "cleanup", source, "--older-than-days", "30", "--json")

    remaining = {hashlib.sha256(raw).hexdigest() for raw in server_files(dovecot, "kira", "INBOX").values()}
    deleted = set(delivered) - remaining
    assert 0 < len(deleted) < N, "the killed run archived nothing or everything"
    assert result["deleted"] == len(deleted) and result["dry_run"] is False

    archived: dict[str, str] = {}
    offset = 0
    while True:
        page = out(cli_env, "search", "--customer", cust, "--limit", "1000", "--offset", str(offset), "--json", "*")
        archived.update((h["sha256"], h["id"]) for h in page["hits"])
        offset += 1000
        if offset >= page["total"]:
            break
    assert deleted <= set(archived)  # every message deleted at the server is archived and indexed
    assert set(delivered) - set(archived) <= remaining  # the server keeps every message that is not

    events = out(cli_env, "audit", "log", "--customer", cust, "--action", "source.mailbox_cleanup", "--limit",
                 "1000", "--json")
    rows = events["events"] if isinstance(events, dict) else events
    logged = {m["sha256"]: m["id"] for e in rows if e["action"] == "source.mailbox_cleanup"
              for m in e["detail"].get("messages", [])}
    assert set(logged) == deleted and all(archived[sha] == mid for sha, mid in logged.items())
    for sha in sorted(deleted)[:4]:  # the vault returns exactly the bytes that were deleted at the server
        assert hashlib.sha256(cli(cli_env, "message", "raw", archived[sha]).stdout).hexdigest() == sha
