"""Queueing OCR after ingest: which new messages carry attachments that may be scans.

Called by the Ingestor: :func:`record` after every batch notes the candidates (a "pending"
``OcrAttachment`` per image or text-less PDF attachment, decided from the parse result, no
bytes touched), :func:`schedule` at the end of the session starts one ``archive.ocr`` job for
the customer when something is pending (a `kustos` command that runs jobs inline leaves it to the
scheduler's :func:`enqueue_pending`). Nothing is recognised during ingest, so OCR never slows
archiving. Off when ``KUSTOS_OCR`` is off (or auto without tesseract installed).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from kustos.archive.models import OcrAttachment
from kustos.jobs import services as jobs
from kustos.jobs.models import Job
from kustos.ocr.candidates import is_candidate
from kustos.tenants.models import Customer

JOB_KIND = "archive.ocr"
_OPEN = (Job.State.QUEUED, Job.State.RUNNING, Job.State.RETRYING)


def enabled() -> bool:
    return bool(settings.KUSTOS.ocr_enabled)


def record(customer: Customer, work: list[Any]) -> int:
    """Note the OCR candidates of the messages this batch created; returns their number."""
    if not enabled():
        return 0
    rows = []
    for w in work:
        if w.excluded or w.message is None or w.parsed is None or w.new_refs != -1:
            continue  # only the item that created the message
        for att in getattr(w.parsed, "attachments", []) or []:
            if is_candidate(att):
                rows.append(OcrAttachment(customer=customer, message_id=w.message.id, part_path=att.part_path[:64],
                                          filename=(att.filename or "")[:255]))
    if rows:
        OcrAttachment.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def pending(customer: Customer) -> int:
    return OcrAttachment.objects.filter(customer=customer, status=OcrAttachment.Status.PENDING).count()


def open_job(customer: Customer) -> Job | None:
    return Job.objects.filter(customer_id=customer.id, kind=JOB_KIND, state__in=_OPEN).first()


def schedule(customer: Customer) -> Job | None:
    """After an ingest session: queue the customer's OCR job for the workers. Not in a `kustos`
    command that runs its jobs inline (`kustos import`): it would recognise before the command
    ends; the scheduler (every 10 minutes) or `kustos ocr run` starts the job instead."""
    if jobs.inline:
        return None
    return start(customer)


def start(customer: Customer, created_by: str = "") -> Job | None:
    """Start the customer's OCR job when attachments are pending and none is queued or running
    (a running job keeps going until nothing is pending)."""
    if not enabled() or not pending(customer):
        return None
    return open_job(customer) or jobs.create(JOB_KIND, customer=customer, created_by=created_by)


def enqueue_pending() -> int:
    """Start the OCR job of every customer with pending attachments and no open OCR job (the
    scheduler's safety net: a job that failed for good, mail queued while a job was finishing)."""
    if not enabled():
        return 0
    ids = set(OcrAttachment.objects.filter(status=OcrAttachment.Status.PENDING)
              .values_list("customer_id", flat=True).distinct())
    busy = set(Job.objects.filter(kind=JOB_KIND, state__in=_OPEN, customer_id__in=ids)
               .values_list("customer_id", flat=True))
    started = 0
    for customer in Customer.objects.filter(id__in=ids - busy):
        jobs.create(JOB_KIND, customer=customer)
        started += 1
    return started
