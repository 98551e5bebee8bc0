"""/api/v1 resumable uploads for imports: create, send chunks (PUT with offset), complete."""

from __future__ import annotations

from django.http import Http404
from ninja import Router, Schema, Status

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.api import serializers as ser
from kustos.api.schemas import JobOut
from kustos.archive.models import Upload
from kustos.archive.services import uploads

router = Router(tags=["imports"])


class UploadIn(Schema):
    filename: str
    size: int
    mailbox: str


def _out(upload: Upload) -> dict:
    return {"id": upload.id, "filename": upload.filename, "size": upload.size, "received": upload.received,
            "state": upload.state, "job": upload.job_id or None}


def _upload(user, upload_id: str) -> Upload:
    upload = Upload.objects.select_related("customer").filter(
        id=upload_id, customer__in=access.customers_for(user)).first()
    if upload is None:
        raise Http404("no such upload")
    access.require(user, Perm.ARCHIVE_IMPORT)
    return upload


@router.post("/customers/{customer_id}/uploads", response={201: dict},
             summary="Start a resumable upload of a mail file (PST, OST, MBOX, EML, MSG, ZIP) for import")
def create_upload(request, customer_id: str, body: UploadIn):
    customer = access.get_customer(request.auth, customer_id, Perm.ARCHIVE_IMPORT)
    return Status(201, _out(uploads.create(customer, body.filename, body.size, body.mailbox, actor=request.auth)))


@router.get("/uploads/{upload_id}", response=dict, summary="Upload state; `received` is where to resume")
def get_upload(request, upload_id: str):
    return _out(_upload(request.auth, upload_id))


@router.put("/uploads/{upload_id}", response=dict,
            summary="Send the next chunk as the raw request body; query `offset` must equal `received`")
def put_chunk(request, upload_id: str, offset: int):
    upload = _upload(request.auth, upload_id)
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    return _out(uploads.append(upload, offset, request, length))


@router.post("/uploads/{upload_id}/complete", response={202: JobOut}, summary="Finish the upload and import it")
def complete_upload(request, upload_id: str):
    job = uploads.complete(_upload(request.auth, upload_id), actor=request.auth)
    job.refresh_from_db()
    return Status(202, ser.job(job))
