"""`kustos source add|list|test|run` and `kustos journal address` against a real Dovecot."""

from __future__ import annotations

import json
import subprocess
import sys
from email.message import EmailMessage

import pytest


def run(env: dict, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kustos.cli", *args], env=env, input=stdin, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.dovecot
def test_source_commands(dovecot, cli_env):
    dovecot.add_user("carla", "carla-pw-1")
    for i in range(3):
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "x@partner.example", "carla@kunde.example", f"cli {i}"
        msg.set_content("hello")
        dovecot.deliver("carla", "INBOX", msg.as_bytes().replace(b"\n", b"\r\n"))
    partner = json.loads(run(cli_env, "partner", "create", "P", "--json").stdout)["id"]
    cust = json.loads(run(cli_env, "customer", "create", "--partner", partner, "K", "--json").stdout)["id"]
    added = run(cli_env, "source", "add", "imap", "--customer", cust, "--host", "127.0.0.1", "--port",
                str(dovecot.imaps_port), "--security", "tls", "--username", "carla", "--password-stdin",
                "--no-verify-tls", "--json", stdin="carla-pw-1\n")
    assert added.returncode == 0, added.stderr
    source = json.loads(added.stdout)
    assert source["kind"] == "imap" and source["id"].startswith("sr_")
    listed = json.loads(run(cli_env, "source", "list", "--customer", cust, "--json").stdout)
    assert [s["id"] for s in listed] == [source["id"]]
    assert listed[0]["config"]["mailbox"] == "carla" and "carla-pw-1" not in json.dumps(listed)
    assert json.loads(run(cli_env, "source", "test", source["id"], "--json").stdout) == {"ok": True, "error": None}
    fetched = json.loads(run(cli_env, "source", "run", source["id"], "--json").stdout)
    assert (fetched["fetched"], fetched["imported"], fetched["errors"]) == (3, 3, [])

    bad = run(cli_env, "source", "add", "imap", "--customer", cust, "--host", "127.0.0.1", "--port",
              str(dovecot.imaps_port), "--username", "carla", "--password-stdin", "--no-verify-tls", "--json",
              stdin="wrong\n")
    bad_id = json.loads(bad.stdout)["id"]
    tested = run(cli_env, "source", "test", bad_id, "--json")
    assert tested.returncode == 1
    result = json.loads(tested.stdout)
    assert result["ok"] is False and "password" in result["error"].lower()

    address = json.loads(run(cli_env, "journal", "address", "--customer", cust, "--json").stdout)["address"]
    assert address.startswith("journal-") and address.endswith("@journal.kustos.local")
    assert json.loads(run(cli_env, "journal", "address", "--customer", cust, "--json").stdout)["address"] == address


@pytest.mark.dovecot
def test_ca_file_is_read_by_the_cli_and_stored_as_pem(dovecot, cli_env, tmp_path):
    dovecot.add_user("dora", "dora-pw-1")
    partner = json.loads(run(cli_env, "partner", "create", "P", "--json").stdout)["id"]
    cust = json.loads(run(cli_env, "customer", "create", "--partner", partner, "K", "--json").stdout)["id"]
    base = ("source", "add", "imap", "--customer", cust, "--host", "localhost", "--port", str(dovecot.imaps_port),
            "--username", "dora", "--password-stdin", "--json")
    added = run(cli_env, *base, "--ca-file", str(dovecot.certs.cert), stdin="dora-pw-1\n")
    assert added.returncode == 0, added.stderr
    source = json.loads(added.stdout)["id"]
    listed = json.loads(run(cli_env, "source", "list", "--customer", cust, "--json").stdout)
    assert listed[0]["config"]["ca_pem"] == dovecot.certs.cert.read_text()
    assert str(dovecot.certs.cert) not in json.dumps(listed)  # the content is stored, never the path
    assert json.loads(run(cli_env, "source", "test", source, "--json").stdout) == {"ok": True, "error": None}

    missing = run(cli_env, *base, "--ca-file", str(tmp_path / "nope.pem"), stdin="dora-pw-1\n")
    assert missing.returncode == 1
    assert missing.stderr.strip().splitlines()[-1].endswith(f"CA certificate file not found: {tmp_path / 'nope.pem'}")
    (tmp_path / "bad.pem").write_text("not a certificate\n")
    bad = run(cli_env, *base, "--ca-file", str(tmp_path / "bad.pem"), stdin="dora-pw-1\n")
    assert bad.returncode == 1 and "the CA certificate is not PEM text" in bad.stderr
    assert len(json.loads(run(cli_env, "source", "list", "--customer", cust, "--json").stdout)) == 1
