"""`kustos user token create|list|revoke` and `kustos user password`, and createadmin's one-time
password — real subprocesses on a fresh KUSTOS_HOME (CLI.md contract: --json, one-line errors)."""

from __future__ import annotations

import json
import subprocess
import sys


def kustos(env: dict, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kustos.cli", *args], env=env, input=stdin,
                          capture_output=True, text=True, timeout=120)


def kjson(env: dict, *args: str, stdin: str | None = None):
    proc = kustos(env, *args, "--json", stdin=stdin)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_token_commands_and_one_time_passwords(cli_env: dict):
    admin = kjson(cli_env, "createadmin", "--email", "ops@example.org")
    assert admin["must_change_password"] is True and len(admin["password"]) >= 12
    made = kjson(cli_env, "user", "token", "create", "--user", "ops@example.org", "--name", "backup",
                 "--expires-days", "30")
    assert made["token"].startswith("kst_") and made["expires_at"].startswith("20")
    listed = kjson(cli_env, "user", "token", "list", "--user", "ops@example.org")
    assert [(t["id"], t["name"], t["revoked"]) for t in listed] == [(made["id"], "backup", False)]
    assert listed[0]["expires_at"] == made["expires_at"] and "token" not in listed[0]
    revoked = kjson(cli_env, "user", "token", "revoke", made["id"])
    assert revoked["revoked"] is True
    # errors: one line, non-zero
    proc = kustos(cli_env, "user", "token", "create", "--user", "nobody@example.org", "--json")
    assert proc.returncode == 1 and proc.stderr.strip() == "kustos: error: no user with e-mail 'nobody@example.org'"
    proc = kustos(cli_env, "user", "token", "create", "--user", "ops@example.org", "--expires-days", "0", "--json")
    assert proc.returncode == 1 and "between 1 and" in proc.stderr and proc.stderr.count("\n") == 1
    proc = kustos(cli_env, "createadmin", "--email", "weak@example.org", "--password-stdin", "--json",
                  stdin="123456789012\n")
    assert proc.returncode == 1 and "entirely numeric" in proc.stderr
    # an administrator's new password: one-time unless given on stdin
    reset = kjson(cli_env, "user", "password", "--user", "ops@example.org")
    assert reset["must_change_password"] is True and reset["password"] != admin["password"]
