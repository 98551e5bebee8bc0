"""OCR of scanned attachments (the ``archive.ocr`` job) and its per-attachment report.

:func:`run` takes the customer's pending ``OcrAttachment`` rows message by message: the raw
message from the vault, the attachment's decoded bytes, ``kustos.ocr.recognise`` (tesseract in
limited subprocesses), the outcome per attachment (done with the characters recognised, failed
or skipped with the reason), then the message's search document is rebuilt, which now carries
the recognised text (``documents.build_documents`` adds it). Recognised text is never logged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.archive.documents import build_documents
from kustos.archive.models import Message, OcrAttachment
from kustos.archive.ocr_texts import report_row
from kustos.archive.services import ocr_queue
from kustos.audit import services as audit
from kustos.core import runtime
from kustos.mail import PartNotFound, get_part, parse
from kustos.ocr.engine import OcrOutcome, recognise
from kustos.ocr.limits import OcrLimits
from kustos.tenants.models import Customer

CHUNK = 20  # messages taken per round
Status = OcrAttachment.Status


def limits_from(settings: Any) -> OcrLimits:
    """The OCR bounds from the installation's Settings (the job passes them in)."""
    return OcrLimits(timeout=float(settings.ocr_timeout), memory_mb=settings.ocr_memory_mb,
                     max_pages=settings.ocr_max_pages, max_pixels=settings.ocr_max_pixels,
                     languages=settings.ocr_languages)


def run(customer: Customer, limits: OcrLimits, progress: Callable[..., None] | None = None) -> dict[str, int]:
    """Recognise every pending attachment of ``customer``; returns counts per outcome."""
    counts = {"messages": 0, "done": 0, "failed": 0, "skipped": 0}
    store = runtime.store_for(customer.id)
    index = runtime.search_index()
    total = ocr_queue.pending(customer)
    while True:
        ids = list(OcrAttachment.objects.filter(customer=customer, status=Status.PENDING)
                   .order_by("message_id").values_list("message_id", flat=True).distinct()[:CHUNK])
        if not ids:
            return counts
        for message in Message.objects.filter(customer=customer, id__in=ids):
            rows = list(OcrAttachment.objects.filter(message=message, status=Status.PENDING))
            raw = _raw(store, message, rows)
            for row in rows:
                _apply(row, _recognise(raw, row, limits), counts)
            if raw is not None:
                # not indexed until the new document is committed: a failure here leaves the message to
                # Ingestor.reindex_pending, whose rebuild carries the recognised text too
                Message.objects.filter(id=message.id).update(indexed=False)
                index.add(build_documents(None, [message], {message.id: parse(raw)}))
                index.commit()
                Message.objects.filter(id=message.id).update(indexed=True)
            counts["messages"] += 1
            if progress:
                progress(counts["done"] + counts["failed"] + counts["skipped"], total, "")
        # rows whose message is gone (deleted meanwhile) leave the queue
        OcrAttachment.objects.filter(customer=customer, status=Status.PENDING, message_id__in=ids).update(
            status=Status.SKIPPED, reason="the message is no longer archived")


def _raw(store: Any, message: Message, rows: list[OcrAttachment]) -> bytes | None:
    try:
        return bytes(store.get(message.vault_id))
    except Exception as exc:  # noqa: BLE001  (a vault failure is reported per attachment, the job goes on)
        for row in rows:
            row.reason = f"the message could not be read from the vault ({type(exc).__name__})"
        return None


def _recognise(raw: bytes | None, row: OcrAttachment, limits: OcrLimits) -> OcrOutcome:
    if raw is None:
        return OcrOutcome("failed", row.reason)
    try:
        data = get_part(raw, row.part_path)
    except PartNotFound:
        return OcrOutcome("failed", f"attachment part {row.part_path} not found")
    try:
        return recognise(data, limits)
    except Exception as exc:  # noqa: BLE001  (recognise reports failures itself; this is the last resort)
        return OcrOutcome("failed", f"OCR error ({type(exc).__name__})")


def _apply(row: OcrAttachment, outcome: OcrOutcome, counts: dict[str, int]) -> None:
    row.status = outcome.status
    row.reason = (outcome.reason or "")[:300]
    row.text = outcome.text
    row.chars = len(outcome.text)
    row.pages = outcome.pages
    row.save(update_fields=["status", "reason", "text", "chars", "pages", "updated_at"])
    counts[outcome.status] = counts.get(outcome.status, 0) + 1


def status(customer: Customer, *, limit: int = 200) -> dict[str, Any]:
    """Counts per status and the attachments that failed (newest first)."""
    counts = {s.value: 0 for s in Status}
    for row in OcrAttachment.objects.filter(customer=customer).values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    failed = OcrAttachment.objects.filter(customer=customer, status=Status.FAILED).order_by("-updated_at")[:limit]
    job = ocr_queue.open_job(customer)
    return {"customer": customer.id, "enabled": ocr_queue.enabled(), "counts": counts,
            "job": job.id if job else None, "failed": [report_row(r) for r in failed]}


class OcrOff(ValidationError):
    """OCR is switched off (KUSTOS_OCR=off, or auto without tesseract installed): API 422, CLI exit 1."""


def requeue_failed(customer: Customer, *, actor: Any) -> dict[str, Any]:
    """Put the customer's failed attachments back in the queue and start the OCR job."""
    if not ocr_queue.enabled():
        raise OcrOff("OCR is off: set KUSTOS_OCR=on and install tesseract-ocr")
    n = OcrAttachment.objects.filter(customer=customer, status=Status.FAILED).update(
        status=Status.PENDING, reason="")
    job = ocr_queue.start(customer, created_by=getattr(actor, "email", str(actor)))
    audit.record("archive.ocr_requeue", actor=actor, customer=customer, detail={"attachments": n})
    if job is not None:
        job.refresh_from_db()  # the CLI runs jobs inline: it may have finished already
    return {"customer": customer.id, "requeued": n, "job": job.id if job else None,
            "job_state": job.state if job else None}


def status_as(user: Any, customer_id: str) -> dict[str, Any]:
    """The OCR report of a customer, for users who may import into its archive (else 404/403)."""
    return status(access.get_customer(user, customer_id, Perm.ARCHIVE_IMPORT))


def requeue_failed_as(user: Any, customer_id: str) -> dict[str, Any]:
    return requeue_failed(access.get_customer(user, customer_id, Perm.ARCHIVE_IMPORT), actor=user)
