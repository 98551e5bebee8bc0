"""Bulk activation from CSV: a report per line (activated, already active/covered, unknown account, bad
services, malformed); nothing changes when a line has an error unless partial; CLI, API, dashboard."""

from __future__ import annotations

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from kustos.accounts.services import tokens
from kustos.audit.models import AuditEvent
from kustos.backup.models import BackupAccount, BackupPlan
from kustos.backup.services import activation, plans
from kustos.cli import registry as cli
from kustos.sources.base import Scope
from tests import factories
from tests.integration.web.session import sign_in

pytestmark = pytest.mark.django_db

MIXED = (b'account,services\n'
         b'ben@kunde.example,files\n'
         b'anna,\n'
         b'nobody@kunde.example,\n'
         b'carl@kunde.example,teams\n'
         b'"carl@kunde.example",files;mail,extra\n')
STATUSES = [(2, "ben@kunde.example"), (3, "anna"), (4, "nobody@kunde.example"), (5, "carl@kunde.example"),
            (6, "carl@kunde.example")]


@pytest.fixture
def plan(source, cloud):
    cloud.put("carl", "x1", "file", "", "carl.txt", b"carl")
    return plans.enable(source, scopes=["anna"])


def kustos(capsys, *argv: str) -> tuple[int, object, str]:
    capsys.readouterr()
    code = cli.run(list(argv))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() and "--json" in argv else out), err


def scopes_of(plan) -> tuple[bool, list[str]]:
    plan = BackupPlan.objects.get(id=plan.id)
    return plan.all_scopes, plan.scopes


def test_cli_reports_every_line_and_changes_nothing_on_errors_unless_partial(plan, capsys, tmp_path):
    csv_file = tmp_path / "users.csv"
    csv_file.write_bytes(MIXED)
    code, report, err = kustos(capsys, "backup", "activate", "--source", plan.source_id, "--csv", str(csv_file),
                               "--json")
    assert code == 1 and err.count("\n") == 1
    assert err.startswith("kustos: error: 3 of 5 lines have errors; nothing was changed")
    assert [(r["line"], r["account"], r["status"]) for r in report["lines"]] == [
        (2, "ben@kunde.example", "would_activate"), (3, "anna", "already_active"),
        (4, "nobody@kunde.example", "unknown_account"), (5, "carl@kunde.example", "bad_services"),
        (6, "carl@kunde.example", "malformed")]
    assert report["lines"][3]["detail"] == "unknown service 'teams'; this source offers: files, mail"
    assert report["lines"][4]["detail"] == "3 fields where the header has 2"
    assert report["applied"] is False and report["errors"] == 3
    assert scopes_of(plan) == (False, ["anna"]) and not BackupAccount.objects.filter(scope_id="ben").exists()

    code, report, err = kustos(capsys, "backup", "activate", "--source", plan.source_id, "--csv", str(csv_file),
                               "--partial", "--json")
    assert code == 0 and err == "" and report["applied"] is True and report["changed"] is True
    assert report["counts"]["activated"] == 1 and report["lines"][0]["scopes"] == ["ben"]
    assert scopes_of(plan) == (False, ["anna", "ben"])
    event = AuditEvent.objects.filter(action="backup.activate", target=plan.id).order_by("-seq").first()
    assert event.detail["activated"] == ["ben"] and event.detail["errors"] == 3 and event.actor == "cli"
    ben = BackupAccount.objects.get(plan=plan, scope_id="ben")  # activation date recorded at once (billing)
    assert (timezone.now() - ben.first_seen_at).total_seconds() < 60 and ben.last_snapshot == ""

    code, text, _ = kustos(capsys, "backup", "activate", "--source", plan.source_id, "--csv", str(csv_file),
                           "--partial")
    assert code == 0 and re.search(r"line +2 +already_active +ben@kunde.example", text)
    assert text.splitlines()[-1] == "nothing changed: 2 already_active, 1 unknown_account, 1 bad_services, 1 malformed"


def test_an_all_plan_reports_already_covered_unless_explicit(source, cloud, capsys, tmp_path):
    plan = plans.enable(source)
    csv_file = tmp_path / "one.csv"
    csv_file.write_bytes(b"account\r\nAnna@Kunde.example\r\n")
    code, report, _ = kustos(capsys, "backup", "activate", "--source", source.id, "--csv", str(csv_file), "--json")
    assert code == 0 and report["lines"][0]["status"] == "already_covered" and report["changed"] is False
    assert scopes_of(plan) == (True, [])
    code, report, _ = kustos(capsys, "backup", "activate", "--source", source.id, "--csv", str(csv_file),
                             "--explicit", "--json")
    assert code == 0 and report["lines"][0]["status"] == "activated" and report["explicit"] is True
    assert scopes_of(plan) == (False, ["anna"]) and report["scopes"] == ["anna"]


def test_file_level_errors_are_one_line(plan, capsys, tmp_path):
    for content, message in [
        (b"", "the CSV file is empty"),
        (b"user,services\nanna,\n", "the CSV header has no 'account' column (columns: account, services)"),
        (b"account,servics\nanna,files\n", "unknown CSV column 'servics' (columns: account, services)"),
        (b"account\n", "the CSV file has a header but no lines"),
    ]:
        f = tmp_path / "bad.csv"
        f.write_bytes(content)
        code, _, err = kustos(capsys, "backup", "activate", "--source", plan.source_id, "--csv", str(f), "--json")
        assert code == 1 and err == f"kustos: error: {message}\n"
    code, _, err = kustos(capsys, "backup", "activate", "--source", plan.source_id, "--csv", str(tmp_path / "no"))
    assert code == 1 and err.startswith("kustos: error: cannot read") and err.count("\n") == 1
    assert scopes_of(plan) == (False, ["anna"])


def test_the_api_takes_text_or_multipart(plan):
    _, token = tokens.create(factories.user("pt@partner.example", "partner_tech", partner=plan.customer.partner,
                                            totp=True), "t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    url = f"/api/v1/sources/{plan.source_id}/backup/activate-csv"
    client = Client()
    resp = client.post(url, MIXED, content_type="text/csv", **auth)
    assert resp.status_code == 422 and resp.json()["errors"] == 3 and scopes_of(plan) == (False, ["anna"])
    resp = client.post(url + "?partial=true", MIXED, content_type="text/csv", **auth)
    assert resp.status_code == 200 and resp.json()["counts"]["activated"] == 1
    semicolons = "account;services\ncarl@kunde.example;files|mail\n".encode("cp1252")
    resp = client.post(url, {"file": _upload(semicolons)}, **auth)
    assert resp.status_code == 200 and resp.json()["lines"][0]["status"] == "activated"
    assert scopes_of(plan) == (False, ["anna", "ben", "carl"])
    resp = client.post(url, {"csv": _upload(semicolons)}, **auth)  # multipart, but not the field 'file'
    assert resp.status_code == 422 and resp.json()["detail"] == "the multipart body has no 'file' field"
    resp = client.post(url, b"name\nx\n", content_type="text/csv", **auth)
    assert resp.status_code == 422 and "no 'account' column" in resp.json()["detail"]
    ops = client.get("/api/v1/openapi.json", **auth).json()["paths"]
    assert "multipart/form-data" in ops["/api/v1/sources/{source_id}/backup/activate-csv"]["post"]["requestBody"][
        "content"]


def _upload(data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("users.csv", data, content_type="text/csv")


def text(resp) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", resp.content.decode()))


def test_dashboard_upload_on_the_plan_page(plan):
    tech = sign_in(Client(), factories.user("pt@partner.example", "partner_tech", partner=plan.customer.partner,
                                            totp=True))
    base = f"/customers/{plan.customer_id}/sources/{plan.source_id}/backup"
    page = tech.get(f"{base}/enable/").content.decode()
    assert 'data-testid="backup-activate"' in page and f'action="{base}/activate/"' in page
    resp = tech.post(f"{base}/activate/", {"csv": _upload(MIXED)})
    assert resp.status_code == 400
    page = text(resp)
    assert "3 lines have errors; nothing was changed." in page and "unknown account" in page
    assert "malformed line" in page and "bad services" in page and "not applied" in page
    assert scopes_of(plan) == (False, ["anna"])
    resp = tech.post(f"{base}/activate/", {"csv": _upload(MIXED), "partial": "on"})
    assert resp.status_code == 200 and "1 account activated. 3 lines with errors were skipped." in text(resp)
    assert scopes_of(plan) == (False, ["anna", "ben"])
    assert tech.post(f"{base}/activate/", {}).status_code == 400
    tech.post("/account/language/", {"language": "de"})
    resp = tech.post(f"{base}/activate/", {"csv": _upload(MIXED)}, HTTP_ACCEPT_LANGUAGE="de")
    assert "3 Zeilen haben Fehler; nichts wurde geändert." in text(resp) and "unbekanntes Konto" in text(resp)


def test_services_pick_the_scopes_of_a_per_service_connection(plan):
    """A Microsoft 365 connection offers one scope per service and account (mail:ID, onedrive:ID)."""
    plan.services = ["files", "mail"]
    offered = [Scope(id="files:u1", kind="user", name="dora@contoso.example",
                     meta={"service": "files", "account": "u1", "webUrl": "https://contoso.example/personal/dora/"}),
               Scope(id="mail:u1", kind="user", name="dora@contoso.example", meta={"service": "mail", "account": "u1"}),
               Scope(id="files:u2", kind="site", name="Sales", meta={"service": "files", "account": "u2"}),
               Scope(id="mail:u3", kind="user", name="Sales", meta={"service": "mail", "account": "u3"})]
    lines = activation.parse(b"account,services\ndora@contoso.example,files\nhttps://contoso.example/personal/dora,"
                             b"mail\nSales,\nu1,\n")
    adding = activation.judge(plan, lines, offered, explicit=False)
    assert [(line.status, line.scopes) for line in lines[:2]] == [("activated", ["files:u1"]),
                                                                   ("activated", ["mail:u1"])]
    assert lines[2].status == "unknown_account" and "names 2 accounts" in lines[2].detail
    assert (lines[3].status, lines[3].scopes) == ("already_active", ["files:u1", "mail:u1"])
    assert [s.id for s in adding] == ["files:u1", "mail:u1"]
