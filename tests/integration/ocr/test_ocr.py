"""Scanned PDFs and images attached to mail become searchable through OCR after ingest.

Generated scans of known German and English sentences are archived; ingest only queues them
(no text, no tesseract run), the ``archive.ocr`` job recognises them in limited processes,
records the outcome per attachment and rewrites the message's search document.
"""

from __future__ import annotations

import dataclasses
import time

import pytest

from kustos.archive.models import Message, OcrAttachment
from kustos.archive.pipeline.contract import Incoming
from kustos.archive.services import messages, ocr, ocr_queue
from kustos.archive.services.ingest import Ingestor
from kustos.core import runtime
from kustos.jobs import schedules
from kustos.jobs import services as job_services
from kustos.jobs.models import Job
from kustos.jobs.tasks import execute
from kustos.search import SearchRequest
from tests.integration.ocr.conftest import requires_tesseract
from tests.integration.ocr.scans import corrupt_png, image_bytes, mail, oversize_png

pytestmark = [pytest.mark.django_db, requires_tesseract]

GERMAN = ["Rechnung Nummer 4711", "Kugellager geliefert an Müller"]
ENGLISH = ["Quarterly invoice for sprockets", "Payment overdue since August"]


def ingest(customer, *raws: bytes) -> list[str]:
    items = [Incoming(raw=raw, mailbox="rechnung@kunde.example", folders=["INBOX"], source="test") for raw in raws]
    with Ingestor(customer, workers=1).session() as ing:
        result = ing.ingest(items)
    assert result.imported == len(raws)
    return result.message_ids


def hits(customer, query: str) -> set[str]:
    result = runtime.search_index().search(SearchRequest(query, customer.id, limit=50))
    return {h.id for h in result.hits}


def test_scanned_png_pdf_and_disguised_image_become_searchable(ocr_customer, backend):
    customer = ocr_customer
    png_mail = mail("Scan Rechnung", [("rechnung.png", "image/png", image_bytes(GERMAN))], 1)
    pdf_mail = mail("Scanned invoice", [("invoice.pdf", "application/pdf", image_bytes(ENGLISH, "PDF"))], 2)
    # a JPEG sent as octet-stream under a neutral name: found by its bytes, not its name
    jpeg_mail = mail("Beleg", [("beleg.bin", "application/octet-stream", image_bytes(["Quittung Tankstelle"], "JPEG"))], 3)
    png_id, pdf_id, jpeg_id = ingest(customer, png_mail, pdf_mail, jpeg_mail)

    # ingest archived and indexed the mails but recognised nothing: OCR is queued for the job
    rows = OcrAttachment.objects.filter(customer=customer)
    assert sorted(rows.values_list("status", flat=True)) == ["pending"] * 3
    assert Message.objects.filter(customer=customer, indexed=True).count() == 3
    assert hits(customer, "Kugellager") == set() and hits(customer, "sprockets") == set()
    job = Job.objects.get(customer_id=customer.id, kind="archive.ocr")
    assert job.state == Job.State.QUEUED

    execute(job.id)  # as a worker runs it: the handler registered for archive.ocr, limits from Settings
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED
    assert job.result == {"messages": 3, "done": 3, "failed": 0, "skipped": 0}

    assert hits(customer, "Kugellager") == {png_id}  # German, from the PNG
    assert hits(customer, "geliefert") == {png_id}
    assert hits(customer, "sprockets") == {pdf_id}  # English, from the image-only PDF
    assert hits(customer, "overdue") == {pdf_id}
    assert hits(customer, "Quittung") == {jpeg_id}
    assert hits(customer, "Tankstelle") == {jpeg_id}
    for row in OcrAttachment.objects.filter(customer=customer):
        assert (row.status, row.reason) == ("done", "") and row.chars > 15 and row.pages == 1
    pdf_row = OcrAttachment.objects.get(message_id=pdf_id)
    assert "sprockets" in pdf_row.text and pdf_row.filename == "invoice.pdf"
    assert ocr_queue.pending(customer) == 0

    # any later rebuild of the document (here: after a tax-relevant flag) keeps the recognised text
    messages.flag_tax_relevant(Message.objects.get(id=png_id), True, actor="cli")
    assert hits(customer, "Kugellager") == {png_id}


def customer_settings():
    from django.conf import settings  # noqa: PLC0415  (the test's overridden settings object)

    return settings.KUSTOS


def test_text_pdf_and_plain_attachments_are_not_queued(ocr_customer):
    from fpdf import FPDF  # noqa: PLC0415

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.multi_cell(0, 8, "This PDF has a real text layer with enough characters to need no OCR at all.")
    text_pdf = bytes(pdf.output())
    raw = mail("Text", [("text.pdf", "application/pdf", text_pdf), ("notes.txt", "text/plain", b"plain notes")], 7)
    ingest(ocr_customer, raw)
    assert OcrAttachment.objects.filter(customer=ocr_customer).count() == 0
    assert not Job.objects.filter(customer_id=ocr_customer.id, kind="archive.ocr").exists()


def test_timeout_oversize_and_corrupt_are_reported_per_attachment(ocr_customer, backend):
    customer = ocr_customer
    raw = mail("Drei Scans", [("ok.png", "image/png", image_bytes(["Zahnradfabrik Friedrichshafen"])),
                              ("riesig.png", "image/png", oversize_png()),
                              ("kaputt.png", "image/png", corrupt_png())], 4)
    started = time.monotonic()
    (msg_id,) = ingest(customer, raw)
    assert time.monotonic() - started < 10  # archiving did not wait for any recognition
    assert OcrAttachment.objects.filter(message_id=msg_id, status="pending").count() == 3

    tight = dataclasses.replace(ocr.limits_from(customer_settings()), timeout=0.01)
    counts = ocr.run(customer, tight)
    assert counts == {"messages": 1, "done": 0, "failed": 3, "skipped": 0}
    reasons = dict(OcrAttachment.objects.filter(message_id=msg_id).values_list("filename", "reason"))
    assert reasons["ok.png"] == "tesseract timed out after 0.01s"
    assert reasons["riesig.png"] == "image too large: 9000x9000 pixels (limit 40000000)"
    assert reasons["kaputt.png"].startswith("corrupt image: ")
    assert hits(customer, "Zahnradfabrik") == set()

    # the report, as the status command and the message API show it
    status = ocr.status(customer)
    assert status["counts"] == {"pending": 0, "done": 0, "failed": 3, "skipped": 0}
    assert {f["attachment"] for f in status["failed"]} == {"ok.png", "riesig.png", "kaputt.png"}

    # queued again (audited), the job runs with the normal limits: the good scan is found now
    out = ocr.requeue_failed(customer, actor="cli")
    assert out["requeued"] == 3 and out["job"]
    counts = ocr.run(customer, ocr.limits_from(customer_settings()))
    assert counts["done"] == 1 and counts["failed"] == 2
    assert hits(customer, "Zahnradfabrik") == {msg_id}
    rows = {r.filename: r for r in OcrAttachment.objects.filter(message_id=msg_id)}
    assert rows["ok.png"].status == "done" and rows["riesig.png"].status == "failed"


def test_nothing_is_queued_with_ocr_off(ocr_customer, settings):
    settings.KUSTOS = dataclasses.replace(settings.KUSTOS, ocr="off")
    ingest(ocr_customer, mail("Scan", [("scan.png", "image/png", image_bytes(GERMAN))], 8))
    assert OcrAttachment.objects.filter(customer=ocr_customer).count() == 0
    assert not Job.objects.filter(customer_id=ocr_customer.id, kind="archive.ocr").exists()


def test_scheduler_restarts_ocr_for_attachments_left_waiting(ocr_customer):
    ingest(ocr_customer, mail("Scan", [("scan.png", "image/png", image_bytes(ENGLISH))], 9))
    job = Job.objects.get(customer_id=ocr_customer.id, kind="archive.ocr")
    assert schedules.enqueue_pending_ocr.call_local() == 0  # its job is still queued
    Job.objects.filter(id=job.id).update(state=Job.State.FAILED)  # e.g. failed for good
    assert schedules.enqueue_pending_ocr.call_local() == 1
    assert schedules.enqueue_pending_ocr.call_local() == 0  # one open job is enough
    assert Job.objects.filter(customer_id=ocr_customer.id, kind="archive.ocr", state=Job.State.QUEUED).count() == 1


def test_a_cli_import_leaves_the_ocr_job_to_the_scheduler(ocr_customer, monkeypatch):
    monkeypatch.setattr(job_services, "inline", True)  # `kustos import` runs its jobs inline
    ingest(ocr_customer, mail("Scan", [("scan.png", "image/png", image_bytes(ENGLISH))], 10))
    assert ocr_queue.pending(ocr_customer) == 1  # queued, not recognised before the command ends
    assert not Job.objects.filter(customer_id=ocr_customer.id, kind="archive.ocr").exists()
    monkeypatch.setattr(job_services, "inline", None)  # the scheduler, under `kustos scheduler`
    assert schedules.enqueue_pending_ocr.call_local() == 1
