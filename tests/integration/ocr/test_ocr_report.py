"""The per-attachment OCR report: message page (English and German), message API, the customer's
report in the API and `kustos ocr status|run`, re-queueing audited, a clear error with OCR off."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest
from django.test import Client

from kustos.accounts.services import tokens
from kustos.archive.models import OcrAttachment
from kustos.archive.pipeline.contract import Incoming
from kustos.archive.services import ocr
from kustos.archive.services.ingest import Ingestor
from kustos.audit.models import AuditEvent
from kustos.cli import registry as cli
from kustos.jobs.models import Job
from tests import factories
from tests.integration.ocr.conftest import requires_tesseract
from tests.integration.ocr.scans import corrupt_png, image_bytes, mail
from tests.integration.web.session import sign_in

pytestmark = [pytest.mark.django_db, requires_tesseract]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def recognised(ocr_customer, settings):
    """One message with a readable scan and a corrupt image, after the OCR job ran."""
    raw = mail("Zwei Bilder", [("lieferschein.png", "image/png", image_bytes(["Lieferschein Kugellager"])),
                               ("kaputt.png", "image/png", corrupt_png())], 5)
    with Ingestor(ocr_customer, workers=1).session() as ing:
        (msg_id,) = ing.ingest([Incoming(raw=raw, mailbox="rechnung@kunde.example", folders=["INBOX"],
                                         source="test")]).message_ids
    counts = ocr.run(ocr_customer, ocr.limits_from(settings.KUSTOS))
    assert (counts["done"], counts["failed"]) == (1, 1)
    return ocr_customer, msg_id


def kustos(capsys, *argv: str) -> tuple[int, object, str]:
    capsys.readouterr()
    code = cli.run(list(argv))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() and "--json" in argv else out), err


def test_message_page_reports_each_attachment_in_english_and_german(recognised):
    customer, msg_id = recognised
    chars = OcrAttachment.objects.get(message_id=msg_id, filename="lieferschein.png").chars
    admin = sign_in(Client(), factories.user("admin@kunde.example", "customer_admin", customer=customer))
    html = admin.get(f"/archive/messages/{msg_id}/").content.decode()
    statuses = re.findall(r'data-testid="ocr-status" data-status="(\w+)">([^<]*)</span>', html)
    assert statuses[0] == ("done", f"Text recognised ({chars} characters)")
    assert statuses[1][0] == "failed" and statuses[1][1].startswith("OCR failed: corrupt image: ")

    admin.cookies.load({"django_language": "de"})
    html = admin.get(f"/archive/messages/{msg_id}/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    statuses = re.findall(r'data-testid="ocr-status" data-status="(\w+)">([^<]*)</span>', html)
    assert statuses[0] == ("done", f"Text erkannt ({chars} Zeichen)")
    assert statuses[1][1].startswith("Texterkennung (OCR) fehlgeschlagen: corrupt image: ")
    assert "Texterkennung (OCR)</" in admin.get("/jobs/", HTTP_ACCEPT_LANGUAGE="de").content.decode()  # the job


def test_message_api_and_customer_report_and_requeue(recognised):
    customer, msg_id = recognised
    admin = factories.user("admin@kunde.example", "customer_admin", customer=customer)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {tokens.create(admin, 't')[1]}"}
    client = Client()
    meta = client.get(f"/api/v1/messages/{msg_id}", **auth).json()
    by_name = {row["attachment"]: row for row in meta["ocr"]}
    assert by_name["lieferschein.png"]["status"] == "done" and by_name["lieferschein.png"]["chars"] > 10
    assert by_name["kaputt.png"]["status"] == "failed"
    assert by_name["kaputt.png"]["reason"].startswith("corrupt image: ")
    assert "text" not in by_name["lieferschein.png"]  # the report lists outcomes, never content

    report = client.get(f"/api/v1/customers/{customer.id}/ocr", **auth).json()
    assert report["counts"] == {"pending": 0, "done": 1, "failed": 1, "skipped": 0}
    assert [f["attachment"] for f in report["failed"]] == ["kaputt.png"]

    resp = client.post(f"/api/v1/customers/{customer.id}/ocr/run", **auth)
    assert resp.status_code == 200 and resp.json()["requeued"] == 1
    assert Job.objects.get(id=resp.json()["job"]).kind == "archive.ocr"  # the open OCR job (queued at ingest)
    assert OcrAttachment.objects.get(message_id=msg_id, filename="kaputt.png").status == "pending"
    event = AuditEvent.objects.filter(action="archive.ocr_requeue").last()
    assert event.actor == admin.email and event.detail == {"attachments": 1}


def test_cli_status_run_and_the_error_when_ocr_is_off(recognised, capsys, settings):
    customer, msg_id = recognised
    code, out, _ = kustos(capsys, "ocr", "status", "--customer", customer.id, "--json")
    assert code == 0 and out["counts"]["done"] == 1 and out["counts"]["failed"] == 1
    assert out["failed"][0]["reason"].startswith("corrupt image: ") and out["enabled"] is True

    code, text, _ = kustos(capsys, "ocr", "status", "--customer", customer.id)
    assert code == 0 and text.splitlines()[0].startswith("OCR on: 1 recognised, 1 failed, 0 skipped, 0 pending")
    assert text.splitlines()[1].startswith(f"  {msg_id}  kaputt.png: corrupt image: ")

    code, out, _ = kustos(capsys, "ocr", "run", "--customer", customer.name, "--json")
    assert code == 0 and out["requeued"] == 1
    code, out, _ = kustos(capsys, "ocr", "status", "--customer", customer.id, "--json")
    assert out["counts"]["failed"] + out["counts"]["pending"] == 1

    settings.KUSTOS = dataclasses.replace(settings.KUSTOS, ocr="off")
    code, out, err = kustos(capsys, "ocr", "run", "--customer", customer.id, "--json")
    assert code == 1 and err.strip() == "kustos: error: OCR is off: set KUSTOS_OCR=on and install tesseract-ocr"
    code, _, err = kustos(capsys, "ocr", "status", "--customer", "no-such-customer", "--json")
    assert code == 1 and err.count("\n") == 1
