"""/api/v1 restore to mailbox: archived messages (ids or a query, a folder or a whole mailbox) go back into
the original or another mailbox through the customer's source, as a job whose result is the report
``{"restored", "skipped", "failed": [{"id", "error"}], "skipped_reasons": [{"id", "reason"}]}``."""

from __future__ import annotations

from ninja import Router, Schema, Status

from kustos.api import serializers as ser
from kustos.api.schemas import JobOut
from kustos.archive.services import mailbox_restore

router = Router(tags=["archive"])


class ArchiveRestoreIn(Schema):
    message_ids: list[str] | None = None  # archive message ids
    query: str | None = None  # or a search query (all of its result)
    mailbox: str | None = None  # or a whole archived mailbox (with ``folder``: one folder of it)
    folder: str | None = None
    to_mailbox: str | None = None  # default: each message's own mailbox
    to_folder: str | None = None  # default: each message's own folder
    source: str | None = None  # default: the customer's source that serves the target mailbox


@router.post("/customers/{customer_id}/archive/restore", response={202: JobOut},
             summary="Restore archived messages into a mailbox through the customer's source; runs as a job whose "
                     "result is the report; messages already in the target folder are skipped")
def restore_to_mailbox(request, customer_id: str, body: ArchiveRestoreIn):
    job = mailbox_restore.request_as(request.auth, customer_id, origin="api", message_ids=body.message_ids,
                                     query=body.query, mailbox=body.mailbox, folder=body.folder,
                                     to_mailbox=body.to_mailbox, to_folder=body.to_folder, source=body.source)
    job.refresh_from_db()
    return Status(202, ser.job(job))


@router.get("/customers/{customer_id}/archive/restore/{job_id}", response=JobOut,
            summary="A restore job (its result is the report once done); end users see their own restores")
def restore_status(request, customer_id: str, job_id: str):
    return ser.job(mailbox_restore.job_as(request.auth, customer_id, job_id))
