"""Requirement 22: data-subject search and export across a customer (Art. 15), logged.

A request for an address finds every message where it is sender, recipient (To, Cc, Bcc,
envelope), named in another header or in the text, and nothing for a look-alike address; it is recorded with a
"disclosed" decision per message, audit-logged, and gives a report (what is stored, purposes,
retention per message, recipients of disclosures: none, source) and a ZIP export (report, the
original .eml files byte for byte, a metadata CSV with SHA-256) — from the CLI, the API and the
dashboard.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile

from kustos.archive.services import messages
from kustos.audit.models import AuditEvent
from kustos.cli import registry
from kustos.lifecycle.models import GdprDecision, GdprRequest
from tests.integration.compliance import subject_world
from tests.integration.compliance.subject_world import CONCERNING, FUTURE, SUBJECT, World

world = subject_world.world
_fast_password_hashing = subject_world._fast_password_hashing


def _unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def test_req22_access_finds_every_message_concerning_the_subject_and_exports_it(world: World, tmp_path, capsys):
    out = tmp_path / "access.zip"
    assert registry.run(["gdpr", "access", "--customer", world.customer.id, "--subject", SUBJECT.title(),
                         "-o", str(out), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    expected = {world.id(n) for n in CONCERNING}
    assert {d["message"] for d in result["decisions"]} == expected
    assert {d["decision"] for d in result["decisions"]} == {"disclosed"}
    assert result["subject"] == SUBJECT and result["kind"] == "access" and result["messages"] == len(CONCERNING)
    request = GdprRequest.objects.get(id=result["request"])
    assert request.kind == "access" and request.created_by == "cli"
    assert GdprDecision.objects.filter(request=request, decision="disclosed").count() == len(CONCERNING)
    assert AuditEvent.objects.filter(action="gdpr.access", target=request.id,
                                     detail__messages=len(CONCERNING)).exists()
    assert AuditEvent.objects.filter(action="gdpr.export", target=request.id).exists()

    files = _unzip(out.read_bytes())
    assert set(files) == {"report.md", "report.html", "messages.csv"} | {f"messages/{i}.eml" for i in expected}
    for name in CONCERNING:  # the original bytes, unchanged
        msg = world.by_name[name]
        assert files[f"messages/{msg.id}.eml"] == messages.raw(msg)
    rows = list(csv.DictReader(io.StringIO(files["messages.csv"].decode("utf-8"), newline=""), delimiter=";"))
    assert {r["archive_id"] for r in rows} == expected
    for r in rows:
        assert r["sha256"] == hashlib.sha256(files[r["file_name"]]).hexdigest() == world.by_name[
            next(n for n in CONCERNING if world.id(n) == r["archive_id"])].sha256
    roles = {r["archive_id"]: r["roles"] for r in rows}
    assert roles[world.id("from_subject")] == "from"
    assert roles[world.id("to_subject")] == "to"
    assert roles[world.id("cc_subject")] == "cc"
    assert roles[world.id("bcc_subject")] == "bcc"
    assert roles[world.id("envelope_only")] == "envelope-to"
    assert roles[world.id("reply_to")] == "reply-to"
    assert roles[world.id("text_only")] == "text"
    sources = {r["archive_id"]: r["sources"] for r in rows}
    assert sources[world.id("envelope_only")] == "smtp" and sources[world.id("from_subject")] == "test"

    report = files["report.md"].decode()
    for heading in ("## Purposes of storage", "## Recipients of disclosures", "## Source of the data",
                    "## What is stored", "## Retention"):
        assert heading in report
    assert "§ 147 AO" in report and "None." in report
    assert FUTURE.isoformat() in report  # the retention end of the message still under retention
    assert "Anfrage Angebot" in report and "Andere Person" not in report and "Lieferschein" not in report
    assert "<table" in files["report.html"].decode() and "Anfrage Angebot" in files["report.html"].decode()


def test_req22_unknown_address_and_bad_input(world: World, capsys):
    assert registry.run(["gdpr", "access", "--customer", world.customer.id, "--subject", "niemand@nirgends.example",
                         "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["decisions"] == []
    assert registry.run(["gdpr", "access", "--customer", world.customer.id, "--subject", "kein-adresse"]) == 1
    err = capsys.readouterr().err
    assert "is not an e-mail address" in err and err.count("\n") == 1
    assert registry.run(["gdpr", "access", "--customer", world.customer.id, "--subject", SUBJECT,
                         "-o", "/tmp/report.pdf"]) == 1
    assert ".zip" in capsys.readouterr().err
    assert GdprRequest.objects.filter(subject=SUBJECT).count() == 0  # refused before anything was recorded


def test_req22_api_and_dashboard(world: World):
    headers = world.api(world.admin)
    client = world.client(world.admin)
    base = f"/api/v1/customers/{world.customer.id}/gdpr/requests"
    resp = client.post(base, {"kind": "access", "subject": SUBJECT}, content_type="application/json", **headers)
    assert resp.status_code == 201, resp.content
    created = resp.json()
    assert len(created["decisions"]) == len(CONCERNING)
    assert [r["request"] for r in client.get(base, **headers).json()] == [created["request"]]
    assert client.get(f"{base}/{created['request']}", **headers).json()["decisions"] == created["decisions"]
    report = client.get(f"{base}/{created['request']}/report?format=html", **headers)
    assert report.status_code == 200 and report["Content-Type"].startswith("text/html")
    assert b"Anfrage Angebot" in report.content
    export = client.get(f"{base}/{created['request']}/export", **headers)
    files = _unzip(b"".join(export.streaming_content))
    assert len([n for n in files if n.endswith(".eml")]) == len(CONCERNING)
    assert client.post(base, {"kind": "access", "subject": "x"}, content_type="application/json",
                       **headers).status_code == 422
    assert client.post(base, {"kind": "delete-all", "subject": SUBJECT}, content_type="application/json",
                       **headers).status_code == 422
    for user in (world.auditor, world.end_user, world.partner_tech):
        assert world.client(user).get(base, **world.api(user)).status_code == 403
    assert client.get(f"/api/v1/customers/{world.foreign.id}/gdpr/requests", **headers).status_code == 404
    assert client.get(f"{base}/gr-nonexistent", **headers).status_code == 404

    # Dashboard: the form runs the request and leads to its decisions; report and export download.
    page = client.post(f"/customers/{world.customer.id}/gdpr/", {"kind": "access", "subject": SUBJECT})
    assert page.status_code == 302
    detail = client.get(page["Location"]).content.decode()
    assert detail.count('data-testid="decision-row"') == len(CONCERNING) and "disclosed" in detail
    request_id = page["Location"].rstrip("/").rsplit("/", 1)[1]
    md = client.get(f"/customers/{world.customer.id}/gdpr/{request_id}/report/")
    assert md.status_code == 200 and b"## What is stored" in md.content
    zipped = client.get(f"/customers/{world.customer.id}/gdpr/{request_id}/export/")
    assert "messages.csv" in _unzip(b"".join(zipped.streaming_content))
    listing = client.get(f"/customers/{world.customer.id}/gdpr/").content.decode()
    assert listing.count('data-testid="gdpr-row"') == 2
    bad = client.post(f"/customers/{world.customer.id}/gdpr/", {"kind": "access", "subject": ""}, follow=True)
    assert "address is empty" in bad.content.decode()
    assert world.client(world.auditor).get(f"/customers/{world.customer.id}/gdpr/").status_code == 403


def test_req22_pages_speak_german(world: World):
    client = world.client(world.admin)
    assert client.post("/account/language/", {"language": "de"}).status_code == 302
    page = client.get(f"/customers/{world.customer.id}/gdpr/").content.decode()
    assert "Betroffenenanfragen" in page and "Auskunft (Art. 15)" in page and "Anfrage ausführen" in page
    holds_page = client.get(f"/customers/{world.customer.id}/holds/").content.decode()
    assert "Fall mit Legal Hold anlegen" in holds_page and "Name des Falls" in holds_page
