"""A new user's first hour on the CLI: missing paths, names instead of ids, imports as jobs,
the original .msg file, and the quarantine commands."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kustos.archive.services import imports
from kustos.core import runtime
from kustos.jobs.models import Job
from tests import factories
from tests.integration.web.session import sign_in

MAIL = b"From: a@example.org\r\nTo: kunde@example.com\r\nSubject: first hour\r\n\r\nzebra\r\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"picture" * 8


def kustos(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kustos.cli", *args], env=env, capture_output=True, timeout=300)


def ok(env: dict, *args: str):
    proc = kustos(env, *args, "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def error_line(proc: subprocess.CompletedProcess) -> str:
    lines = proc.stderr.decode().strip().splitlines()
    assert proc.returncode != 0 and len(lines) == 1, proc.stderr
    return lines[0]


def test_import_of_a_missing_path_fails_before_importing_anything(cli_env: dict, tmp_path: Path):
    ok(cli_env, "partner", "create", "P")
    ok(cli_env, "customer", "create", "--partner", "P", "Kunde")
    (tmp_path / "a.eml").write_bytes(MAIL)
    missing = tmp_path / "no-such-dir"
    proc = kustos(cli_env, "import", "--customer", "Kunde", "--mailbox", "k@example.com", str(tmp_path / "a.eml"),
                  str(missing))
    assert proc.returncode == 1
    assert error_line(proc) == f"kustos: error: no such file or directory: {missing} (nothing was imported)"
    assert ok(cli_env, "search", "--customer", "Kunde", "*")["total"] == 0
    assert ok(cli_env, "jobs", "list") == []


def test_partner_and_customer_by_unique_name_or_id(cli_env: dict):
    p1 = ok(cli_env, "partner", "create", "Alpha IT")
    p2 = ok(cli_env, "partner", "create", "Bravo IT")
    a = ok(cli_env, "customer", "create", "--partner", "Alpha IT", "Müller GmbH")
    b = ok(cli_env, "customer", "create", "--partner", p2["id"], "Müller GmbH")
    c = ok(cli_env, "customer", "create", "--partner", "bravo it", "Schmidt KG")
    assert (a["partner"], b["partner"], c["partner"]) == (p1["id"], p2["id"], p2["id"])
    assert ok(cli_env, "customer", "show", "Schmidt KG")["id"] == c["id"]
    assert ok(cli_env, "customer", "show", a["id"])["name"] == "Müller GmbH"
    assert [x["id"] for x in ok(cli_env, "customer", "list", "--partner", "Bravo IT")] == [b["id"], c["id"]]

    ambiguous = error_line(kustos(cli_env, "search", "--customer", "Müller GmbH", "*"))
    assert ambiguous.startswith("kustos: error: customer name 'Müller GmbH' is ambiguous: ")
    assert a["id"] in ambiguous and b["id"] in ambiguous and ambiguous.endswith("; pass the id")
    unknown = error_line(kustos(cli_env, "journal", "address", "--customer", "Müller"))
    assert unknown.startswith("kustos: error: no customer with id or name 'Müller'; did you mean ")
    assert a["id"] in unknown and b["id"] in unknown and c["id"] not in unknown
    assert error_line(kustos(cli_env, "customer", "create", "--partner", "Charlie", "X")) == \
        "kustos: error: no partner with id or name 'Charlie'"


def test_cli_import_is_a_job_with_counts(cli_env: dict, tmp_path: Path):
    ok(cli_env, "partner", "create", "P")
    cust = ok(cli_env, "customer", "create", "--partner", "P", "Kunde")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.eml").write_bytes(MAIL)
    (tmp_path / "in" / "scan.msg").write_bytes(PNG)
    result = ok(cli_env, "import", "--customer", "Kunde", "--mailbox", "k@example.com", str(tmp_path / "in"))
    assert (result["imported"], result["quarantined"]) == (1, 1)
    (job,) = ok(cli_env, "jobs", "list", "--customer", "Kunde")
    assert (job["kind"], job["customer"], job["state"], job["progress"]) == ("archive.import", cust["id"],
                                                                          "succeeded", 1.0)
    assert job["result"] == result and job["error"] == "" and job["finished_at"]
    # the vault commands take the customer's name as well
    assert ok(cli_env, "vault", "stats", "--customer", "Kunde")["objects"] >= 2


@pytest.mark.django_db
def test_import_job_is_running_while_it_runs_and_on_the_jobs_page(tmp_path: Path, settings, client):
    settings.KUSTOS = type(settings.KUSTOS)(**{**settings.KUSTOS.__dict__, "home": tmp_path / "home"})
    runtime.reset()
    customer = factories.customer(factories.partner("P"), "Kunde")
    (tmp_path / "a.eml").write_bytes(MAIL)
    seen: list[str] = []

    def progress(n: int) -> None:
        seen.append(Job.objects.get(kind="archive.import").state)

    job, result = imports.run_as_job(customer, "k@example.com", [tmp_path / "a.eml"], actor="cli", workers=1,
                                     progress=progress)
    runtime.reset()
    assert seen == ["running"] and result.imported == 1
    assert (job.state, job.result["imported"], job.customer_id) == ("succeeded", 1, customer.id)
    admin = factories.user("admin@kunde.example", "customer_admin", customer=customer)
    page = sign_in(client, admin).get("/jobs/")
    assert page.status_code == 200 and f"/jobs/{job.id}/" in page.content.decode()


def test_message_raw_original_returns_the_msg_bytes(cli_env: dict, corpus: Path):
    source = corpus / "msg" / "python-oxmsg" / "no-attachments.msg"
    ok(cli_env, "partner", "create", "P")
    ok(cli_env, "customer", "create", "--partner", "P", "Kunde")
    eml = Path(cli_env["KUSTOS_HOME"]).parent / "plain.eml"
    eml.write_bytes(MAIL)
    assert ok(cli_env, "import", "--customer", "Kunde", "--mailbox", "k@example.com", str(source),
              str(eml))["imported"] == 2
    hits = {h["subject"]: h["id"] for h in ok(cli_env, "search", "--customer", "Kunde", "*")["hits"]}
    converted, plain = hits["This is the subject"], hits["first hour"]
    original = kustos(cli_env, "message", "raw", "--original", converted)
    assert original.returncode == 0 and original.stdout == source.read_bytes()
    converted_raw = kustos(cli_env, "message", "raw", converted).stdout  # the converted RFC 822 form
    assert b"This is the subject" in converted_raw and converted_raw != original.stdout
    assert error_line(kustos(cli_env, "message", "raw", "--original", plain)).startswith(
        f"kustos: error: message {plain} has no original file")


def test_quarantine_list_show_raw_and_retry(cli_env: dict, tmp_path: Path):
    ok(cli_env, "partner", "create", "P")
    cust = ok(cli_env, "customer", "create", "--partner", "P", "Kunde")
    (tmp_path / "scan.msg").write_bytes(PNG)
    ok(cli_env, "import", "--customer", "Kunde", "--mailbox", "k@example.com", str(tmp_path / "scan.msg"))
    (item,) = ok(cli_env, "quarantine", "list", "--customer", "Kunde")
    assert (item["customer"], item["size"], item["mailbox"], item["kept"]) == (cust["id"], len(PNG),
                                                                              "k@example.com", True)
    assert item["source_ref"] == str(tmp_path / "scan.msg") and item["reason"].startswith("not an Outlook MSG")
    assert ok(cli_env, "quarantine", "show", item["id"])["reason"] == item["reason"]
    raw = kustos(cli_env, "quarantine", "show", item["id"], "--raw")
    assert raw.returncode == 0 and raw.stdout == PNG

    again = kustos(cli_env, "quarantine", "retry", item["id"], "--json")
    assert again.returncode == 1
    body = json.loads(again.stdout)
    assert (body["retried"], body["resolved"], body["items"][0]["resolved"]) == (1, 0, False)
    assert ok(cli_env, "quarantine", "retry", "--all", "--customer", "Kunde")["open"] == 1
    assert error_line(kustos(cli_env, "quarantine", "retry")) == \
        "kustos: error: give one quarantine item id, or --all (optionally with --customer)"
    assert error_line(kustos(cli_env, "quarantine", "show", "qu_nope")) == \
        "kustos: error: no quarantine item with id 'qu_nope' (see `kustos quarantine list`)"
