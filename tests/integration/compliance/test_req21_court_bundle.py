"""COMPLIANCE.md requirement 21: the court bundle — original bytes (and the original .msg),
SHA-256, inclusion proof, time-stamp token(s), TSA certificate chain, an audit-log excerpt with
its chain proof and a readable report (HTML + text), checkable offline with `openssl ts -verify`
and the bundled verify.py / verify.sh. From the CLI, the REST API and the dashboard; audited."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.test import Client

from kustos.accounts.services import tokens
from kustos.archive.services import messages as message_service
from kustos.audit.models import AuditEvent
from tests import factories
from tests.integration.compliance.evidence_world import cli_json, cli_run
from tests.integration.compliance.evidence_world import tsa as tsa  # noqa: F401 - fixture
from tests.integration.compliance.evidence_world import world as world  # noqa: F401 - fixture
from tests.integration.compliance.openssl_tsa import ts_verify
from tests.integration.web.session import sign_in

pytestmark = pytest.mark.django_db


def _unzip(data: bytes, into: Path) -> Path:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        zf.extractall(into)
    for script in ("verify.py", "verify.sh"):
        (into / script).chmod(0o755)
    return into


def _verify_py(bundle: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(bundle / "verify.py"), str(bundle)], capture_output=True, text=True,
                          cwd="/")


def test_req21_cli_bundle_verifies_offline_and_names_a_flipped_eml(world, tmp_path, capsys, monkeypatch):
    tagged = world.messages[0]
    message_service.flag_tax_relevant(tagged, True, actor="steuer@beweis.example")  # an audit event about it
    out = tmp_path / "bundle.zip"
    code, result = cli_json(capsys, monkeypatch, "evidence", "export", "--customer", "Beweis Kunde", "-o", str(out),
                            "Rechnung")
    assert code == 0 and result["ok"] is True and result["messages"] == 4, result
    assert result["audit_events"] >= 1
    ev = AuditEvent.objects.filter(action="export.evidence", customer_id=world.customer.id).get()
    assert ev.actor == "cli" and ev.detail["count"] == 4 and ev.detail["sha256"] == result["sha256"]

    bundle = _unzip(out.read_bytes(), tmp_path / "bundle")
    ids = sorted(m.id for m in world.messages)
    assert sorted(p.name for p in (bundle / "messages").iterdir()) == ids
    for m in world.messages:
        assert (bundle / "messages" / m.id / "message.eml").read_bytes() == message_service.raw(m)
    assert (bundle / "messages" / tagged.id / "original.msg").exists()
    proof = json.loads((bundle / "messages" / tagged.id / "proof.json").read_text())
    assert proof["sha256"] == tagged.sha256 and [p["file"] for p in proof["parts"]] == ["message.eml", "original.msg"]
    excerpt = [json.loads(line) for line in (bundle / "audit" / "excerpt.jsonl").read_text().splitlines()]
    assert any(e["event"]["action"] == "archive.tax_relevant" and e["event"]["target"] == tagged.id for e in excerpt)
    report = (bundle / "report.txt").read_text()
    assert "HOW EACH CHECK IS DONE" in report and "verify.py" in report and "ALL CHECKS PASSED" in report
    assert tagged.id in (bundle / "report.html").read_text()

    run = _verify_py(bundle)
    assert run.returncode == 0 and "RESULT: OK (4 messages" in run.stdout, run.stdout + run.stderr
    sh = subprocess.run(["sh", str(bundle / "verify.sh")], capture_output=True, text=True)
    assert sh.returncode == 0, sh.stdout + sh.stderr
    batches = sorted((bundle / "batches").iterdir())
    assert batches
    for b in batches:
        direct = ts_verify(b / "root.bin", b / "token.tsr", bundle / "tsa" / "ca.pem", bundle / "tsa" / "tsa-certs.pem")
        assert direct.returncode == 0 and "Verification: OK" in direct.stdout, direct.stderr
        assert ts_verify(b / "root.bin", b / "token.tsr", world.tsa.ca_file).returncode == 0

    victim = world.messages[2]
    eml = bundle / "messages" / victim.id / "message.eml"
    raw = bytearray(eml.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    eml.write_bytes(bytes(raw))
    run = _verify_py(bundle)
    assert run.returncode == 1
    failed = [line for line in run.stdout.splitlines() if line.startswith("FAILED")]
    assert failed and all(f"messages/{victim.id}/message.eml" in line for line in failed), run.stdout
    assert "RESULT: FAILED" in run.stdout
    sh = subprocess.run(["sh", str(bundle / "verify.sh")], capture_output=True, text=True)
    assert sh.returncode == 1


def test_req21_errors_are_one_line(world, tmp_path, capsys, monkeypatch):
    code, _, err = cli_run(capsys, monkeypatch, "evidence", "export", "--customer", "Beweis Kunde", "-o",
                           str(tmp_path / "x.zip"), "nothingmatchesthis")
    assert code == 1 and "no message matches the query" in err and not (tmp_path / "x.zip").exists()
    (tmp_path / "y.zip").write_bytes(b"")
    code, _, err = cli_run(capsys, monkeypatch, "evidence", "export", "--customer", "Beweis Kunde", "-o",
                           str(tmp_path / "y.zip"))
    assert code == 1 and "exists" in err
    code, _, err = cli_run(capsys, monkeypatch, "evidence", "export", "--customer", "Niemand", "-o",
                           str(tmp_path / "z.zip"))
    assert code == 1 and "no customer" in err


def test_req21_api_and_dashboard_download_the_same_bundle(world, tmp_path):
    admin = factories.user("it@beweis.example", "customer_admin", customer=world.customer)
    token = tokens.create(admin, "t")[1]
    resp = Client().post(f"/api/v1/customers/{world.customer.id}/exports/evidence", data=json.dumps({"query": ""}),
                         content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert resp.status_code == 200, resp.content
    assert resp["Content-Type"] == "application/zip" and resp["X-Export-Count"] == "4"
    bundle = _unzip(b"".join(resp.streaming_content), tmp_path / "api")
    run = _verify_py(bundle)
    assert run.returncode == 0, run.stdout + run.stderr

    page = sign_in(Client(), admin).get("/archive/search/", {"customer": world.customer.id, "q": "Rechnung"})
    assert page.status_code == 200 and "/archive/export/evidence/" in page.content.decode()
    resp = sign_in(Client(), admin).post("/archive/export/evidence/", {"customer": world.customer.id, "q": "Rechnung 1"})
    assert resp.status_code == 200 and resp["Content-Type"] == "application/zip"
    bundle = _unzip(b"".join(resp.streaming_content), tmp_path / "web")
    assert _verify_py(bundle).returncode == 0
    assert AuditEvent.objects.filter(action="export.evidence", actor=admin.email).count() == 2

    other = factories.customer(factories.partner("Fremd"), "Fremd Kunde")
    outsider = factories.user("it@fremd.example", "customer_admin", customer=other)
    t2 = tokens.create(outsider, "t")[1]
    resp = Client().post(f"/api/v1/customers/{world.customer.id}/exports/evidence", data=json.dumps({"query": ""}),
                         content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {t2}")
    assert resp.status_code == 404
    resp = Client().post(f"/api/v1/customers/{world.customer.id}/exports/evidence",
                         data=json.dumps({"query": "nothingmatchesthis"}), content_type="application/json",
                         HTTP_AUTHORIZATION=f"Bearer {token}")
    assert resp.status_code == 422 and "no message matches" in resp.content.decode()
