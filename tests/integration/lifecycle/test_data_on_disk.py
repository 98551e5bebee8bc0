"""The real processes on a fresh KUSTOS_HOME: after `kustos import`, `export` and a `serve`
round, every directory is 0700 and every file 0600; after `kustos customer delete` no file
of the installation (SQLite database and its log included) holds the customer's mail."""

from __future__ import annotations

import json
import os
import secrets
import signal
import stat
import subprocess
import sys
import time
import urllib.request
from email.message import EmailMessage
from pathlib import Path

from tests.integration.lifecycle.scan import files_containing
from tests.servers.tls import free_port


def kustos(env: dict, *args: str) -> dict:
    proc = subprocess.run([sys.executable, "-m", "kustos.cli", *args, "--json"], env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def serve_once(env: dict) -> None:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "kustos.cli", "serve", "--port", str(port), "--no-smtp"],
                            env={**env, "COLUMNS": "200"}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    try:
        deadline, seen = time.time() + 90, ""
        while "Kustos is running" not in seen and time.time() < deadline and proc.poll() is None:
            seen += proc.stdout.readline()
        assert "Kustos is running" in seen, seen
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=20) as resp:
            assert resp.status == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out


def loose_modes(home: Path) -> list[str]:
    """Paths under ``home`` (and home itself) readable or writable by group or others."""
    bad = []
    for path in [home, *home.rglob("*")]:
        if path.is_symlink():
            continue
        mode = stat.S_IMODE(path.lstat().st_mode)
        want = 0o700 if path.is_dir() else 0o600
        if mode & 0o077 or (path.is_dir() and mode != want):
            bad.append(f"{path.relative_to(home.parent)} {oct(mode)}")
    return bad


def test_modes_after_serve_and_import_and_nothing_left_after_deletion(cli_env: dict, tmp_path: Path):
    start = time.time() - 2
    home = Path(cli_env["KUSTOS_HOME"])
    env = {**cli_env}
    tag = secrets.token_hex(5)
    subject, body, attachment = f"SubjDisk{tag}", f"BodyDisk{tag}", f"AttDisk{tag}.txt"
    inbox = tmp_path / "in"
    inbox.mkdir()
    for i in range(3):
        msg = EmailMessage()
        msg["From"], msg["To"] = "a@supplier.example", "box@kunde.example"
        msg["Subject"] = f"{subject} {i}"
        msg["Message-ID"] = f"<disk{i}@example.org>"
        msg["Date"] = "Mon, 04 Mar 2024 12:00:00 +0100"
        msg.set_content(f"The body {body} {i}\n" + "filler line\n" * 50)
        msg.add_attachment(b"plain", maintype="text", subtype="plain", filename=attachment)
        (inbox / f"{i}.eml").write_bytes(msg.as_bytes())

    partner = kustos(env, "partner", "create", "Disk Partner")
    customer = kustos(env, "customer", "create", "--partner", partner["id"], "Disk Kunde")
    result = kustos(env, "import", "--customer", customer["id"], "--mailbox", "box@kunde.example", str(inbox))
    assert result["imported"] == 3, result
    exported = kustos(env, "export", "--customer", customer["id"], "--format", "mbox", "-o",
                      str(tmp_path / "out.mbox"))
    assert exported["count"] == 3
    serve_once(env)

    assert loose_modes(home) == []
    needles = [subject.encode(), body.encode(), attachment.encode()]
    if not env.get("KUSTOS_DATABASE_URL", "").startswith("postgres"):  # on PostgreSQL the index is in the database
        assert any(str(home / "index") in hit for hit in files_containing([home], needles, start)), \
            "the search index should hold the plaintext before the deletion"

    deleted = kustos(env, "customer", "delete", customer["id"], "--yes")
    assert deleted["id"] == customer["id"]
    for path in (inbox, tmp_path / "out.mbox"):  # the test's own input and the operator's chosen export
        for f in sorted(path.rglob("*"), reverse=True) if path.is_dir() else [path]:
            f.unlink()
    assert files_containing([home], needles, start) == []
    assert loose_modes(home) == []
    assert not os.path.exists(f"{home}/kustos.sqlite3-wal") or os.path.getsize(f"{home}/kustos.sqlite3-wal") == 0
