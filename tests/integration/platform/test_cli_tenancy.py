"""The CLI.md tenancy commands with --json, run as real subprocesses on a fresh KUSTOS_HOME."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def kustos(env: dict, *args: str, stdin: str | None = None, ok: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "kustos.cli", *args], env=env, input=stdin,
                          capture_output=True, text=True, timeout=120)
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


def kjson(env: dict, *args: str, stdin: str | None = None):
    return json.loads(kustos(env, *args, "--json", stdin=stdin).stdout)


@pytest.fixture
def home(cli_env: dict) -> dict:
    return cli_env


def test_partner_customer_user_lifecycle(home: dict):
    admin = kjson(home, "createadmin", "--email", "ops@example.org", stdin="a-strong-password-1\n")
    assert admin["id"].startswith("us_")

    partner = kjson(home, "partner", "create", "Acme IT")
    assert partner["name"] == "Acme IT" and partner["id"].startswith("pa_")
    assert [p["id"] for p in kjson(home, "partner", "list")] == [partner["id"]]

    cust = kjson(home, "customer", "create", "--partner", partner["id"], "--legal-name", "Muster GmbH", "Kunde 17")
    assert cust == {"id": cust["id"], "name": "Kunde 17", "partner": partner["id"], "location": "de-local-1"}
    pseudo = kjson(home, "customer", "create", "--partner", "Acme IT", "Pseudonym X")
    listed = kjson(home, "customer", "list", "--partner", partner["id"])
    assert {c["id"] for c in listed} == {cust["id"], pseudo["id"]}
    shown = kjson(home, "customer", "show", cust["id"])
    assert shown["legal_name"] == "Muster GmbH" and shown["storage_bytes"] == 0 and shown["location_country"] == "DE"

    user = kjson(home, "user", "create", "--email", "tech@acme.example", "--role", "partner_tech",
                 "--partner", partner["id"])
    assert user["id"].startswith("us_")
    end = kjson(home, "user", "create", "--email", "eve@kunde.example", "--role", "end_user",
                "--customer", cust["id"])
    assert end["id"] != user["id"]


def test_errors_are_one_line_and_nonzero(home: dict):
    proc = kustos(home, "customer", "create", "--partner", "nope", "X", "--json", ok=False)
    assert proc.returncode == 1
    assert proc.stderr.strip() == "kustos: error: no partner with id or name 'nope'"
    proc = kustos(home, "user", "create", "--email", "x@y.z", "--role", "end_user", ok=False)
    assert proc.returncode == 1 and "needs a customer" in proc.stderr
    kjson(home, "partner", "create", "P")
    proc = kustos(home, "partner", "create", "P", ok=False)
    assert proc.returncode == 1 and "exists already" in proc.stderr


def test_customer_delete_requires_yes_and_leaves_record(home: dict):
    partner = kjson(home, "partner", "create", "Del Partner")
    cust = kjson(home, "customer", "create", "--partner", partner["id"], "Gone GmbH")
    proc = kustos(home, "customer", "delete", cust["id"], ok=False)
    assert proc.returncode == 1 and "--yes" in proc.stderr
    result = kjson(home, "customer", "delete", cust["id"], "--yes")
    assert result["id"] == cust["id"] and result["record"].startswith("dr_") and result["deleted_at"]
    proc = kustos(home, "customer", "show", cust["id"], ok=False)
    assert proc.returncode == 1
    jobs = kjson(home, "jobs", "list")
    assert [(j["kind"], j["state"]) for j in jobs] == [("customer.delete", "succeeded")]
