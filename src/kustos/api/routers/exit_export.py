"""/api/v1/customers/{id}/exit-export: the customer exit export as a job writing to the server's
export area, then downloaded as one ZIP stream (partner admins of the customer's partner and
operators; audited). Thin: ``archive.exit_export.service`` does the work."""

from __future__ import annotations

from django.http import StreamingHttpResponse
from ninja import Router
from ninja.errors import HttpError

from kustos.archive.exit_export import service
from kustos.web.client_address import client_ip

router = Router(tags=["customers"])


@router.post("/customers/{customer_id}/exit-export", response={202: dict},
             summary="Start the customer exit export (the whole archive for the recipient; partner admins, operators)",
             description="Starts a customer.exit_export job (GET /api/v1/jobs/{id} for its progress) that writes "
                         "every message as .eml in its mailbox/folder tree (once per folder), index.csv, the "
                         "evidence (Merkle proofs, RFC 3161 tokens and renewals, TSA certificates), the customer's "
                         "audit log, README.txt (English and German), verify.py and MANIFEST.sha256 (last) to a "
                         "directory on the server; a failed attempt is resumed by the retry. When the job has "
                         "succeeded, GET .../exit-export/{job_id}/download streams it as a ZIP. Answers "
                         "{job, state}. Audited as customer.exit_export_start and customer.exit_export.")
def start(request, customer_id: str):
    job = service.start_as(request.auth, customer_id, client_ip(request))
    job.refresh_from_db()
    return 202, {"job": job.id, "state": job.state}


@router.get("/customers/{customer_id}/exit-export/{job_id}/download", response={200: None},
            summary="Download a finished customer exit export as a ZIP stream (audited)")
def download(request, customer_id: str, job_id: str):
    try:
        name, chunks = service.download_as(request.auth, customer_id, job_id, client_ip(request))
    except service.ExitExportError as exc:
        raise HttpError(404, str(exc)) from exc
    resp = StreamingHttpResponse(chunks, content_type="application/zip")
    resp["Content-Disposition"] = f'attachment; filename="{name}"'
    resp["Cache-Control"] = "private, no-store"
    return resp
