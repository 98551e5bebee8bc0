"""Resumable uploads: streamed to disk chunk by chunk, then imported by a job.

A client creates an upload (name, size, mailbox), sends chunks with their byte
offset (a chunk must start where the file currently ends, so an interrupted
upload resumes from ``received``), and completes it, which starts an
``archive.import`` job that deletes the file when done.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, BinaryIO

from django.core.exceptions import ValidationError

from kustos.archive.models import Upload
from kustos.audit import services as audit
from kustos.core import runtime
from kustos.jobs import services as jobs
from kustos.jobs.models import Job
from kustos.tenants.models import Customer

MAX_UPLOAD = 200 * 1024**3
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def path_of(upload: Upload) -> Path:
    return runtime.settings().upload_path / f"{upload.id}-{_SAFE.sub('_', upload.filename)[-100:]}"


def create(customer: Customer, filename: str, size: int, mailbox: str, *, actor: Any) -> Upload:
    if not filename or size <= 0 or size > MAX_UPLOAD:
        raise ValidationError("an upload needs a file name and a size between 1 byte and 200 GiB")
    if "@" not in mailbox:
        raise ValidationError("the mailbox must be an e-mail address")
    upload = Upload.objects.create(customer=customer, filename=os.path.basename(filename), size=size,
                                   mailbox=mailbox.strip().lower(), created_by=getattr(actor, "email", str(actor)))
    path = path_of(upload)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    return upload


def purge_customer(customer: Customer) -> int:
    """Delete the files of every upload of ``customer`` (partial and complete); returns the count.

    Part of the customer wipe: the rows go with the customer, the files must go first.
    """
    removed = 0
    for upload in Upload.objects.filter(customer=customer):
        path = path_of(upload)
        if path.exists():
            path.unlink()
            removed += 1
    return removed


def append(upload: Upload, offset: int, stream: BinaryIO, length: int) -> Upload:
    """Write ``length`` bytes from ``stream`` at ``offset`` (must equal what was received so far)."""
    if upload.state != Upload.State.RECEIVING:
        raise ValidationError("this upload is already complete")
    if offset != upload.received:
        raise ValidationError(f"chunk starts at {offset} but the upload continues at {upload.received}")
    if offset + length > upload.size:
        raise ValidationError("chunk goes past the announced size")
    path = path_of(upload)
    with path.open("r+b") as fh:
        fh.seek(offset)
        remaining = length
        while remaining:
            block = stream.read(min(remaining, 1024 * 1024))
            if not block:
                break
            fh.write(block)
            remaining -= len(block)
        fh.flush()
        os.fsync(fh.fileno())
    written = length - remaining
    Upload.objects.filter(id=upload.id).update(received=offset + written)
    upload.received = offset + written
    return upload


def complete(upload: Upload, *, actor: Any) -> Job:
    if upload.received != upload.size:
        raise ValidationError(f"upload incomplete: {upload.received} of {upload.size} bytes received")
    job = jobs.create("archive.import", customer=upload.customer,
                      params={"paths": [str(path_of(upload))], "mailbox": upload.mailbox, "delete_after": True,
                              "upload": upload.id, "filename": upload.filename},
                      created_by=getattr(actor, "email", str(actor)))
    Upload.objects.filter(id=upload.id).update(state=Upload.State.COMPLETE, job_id=job.id)
    audit.record("archive.upload", actor=actor, customer=upload.customer, target=upload.id,
                 detail={"filename": upload.filename, "size": upload.size, "job": job.id})
    return job
