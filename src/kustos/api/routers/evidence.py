"""/api/v1 evidence: "verify now" (requirement 5), the court bundle (21) and the state of the
time-stamp evidence (20). Thin: the services are ``archive.services.verify_archive``,
``evidence_bundle`` and ``evidence_renewal``."""

from __future__ import annotations

from django.http import FileResponse
from ninja import Router, Schema
from ninja.errors import HttpError

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.archive.services import evidence_bundle, evidence_renewal, export_files, verify_archive
from kustos.archive.services import search as search_service

router = Router(tags=["archive"])


class EvidenceIn(Schema):
    query: str = ""


@router.post("/customers/{customer_id}/verify", response={200: dict, 202: dict},
             summary="Verify the customer's archive now, in both directions",
             description="Every message's stored bytes (and original .msg) present and matching the SHA-256 "
                         "recorded at archiving, every stored mail object and ledger entry accounted for by a "
                         "message or a tombstone (deleted messages are expected to be missing), the ledger's "
                         "Merkle batches and time-stamps, and the audit chain. Answers "
                         "{ok, messages, altered, missing, unaccounted, tombstoned_missing, objects, audit_ok, "
                         "problems: [one line per problem naming the archive id], checked_at}; audited as "
                         "vault.verify. A large archive answers 202 {job}: a vault.verify job whose result is "
                         "the same (GET /api/v1/jobs/{id}).")
def verify_now(request, customer_id: str):
    customer = access.get_customer(request.auth, customer_id, Perm.COMPLIANCE_VIEW)
    started = verify_archive.request(customer, actor=request.auth)
    if "job" in started:
        return 202, {"job": started["job"]}
    return 200, started["result"]


@router.get("/customers/{customer_id}/evidence/status", response=dict,
            summary="State of the time-stamp evidence: ledger batches, renewals, soonest TSA certificate expiry")
def evidence_status(request, customer_id: str):
    customer = access.get_customer(request.auth, customer_id, Perm.COMPLIANCE_VIEW)
    return evidence_renewal.status(customer)


@router.post("/customers/{customer_id}/exports/evidence", response={200: None},
             summary="Court bundle (ZIP) of the messages matching the query",
             description="Per message the original bytes (.eml, and the original .msg), SHA-256, inclusion proof; "
                         "per ledger batch the root, RFC 3161 token(s) with renewals; the TSA certificate chain; "
                         "the audit events about these messages with the chain links to the verified head; "
                         "report.txt/report.html and verify.py/verify.sh to check everything offline "
                         "(openssl ts -verify). Only messages your access lets you see are included. "
                         "Headers: X-Export-Count, X-Content-SHA256, X-Checks-OK. Audited as export.evidence.")
def export_evidence(request, customer_id: str, body: EvidenceIn):
    customer = access.get_customer(request.auth, customer_id, Perm.ARCHIVE_EXPORT)
    scope = search_service.download_scope_for(request.auth, customer)
    path = export_files.new_path(customer.id, f"evidence-{customer.id}.zip")
    try:
        result = evidence_bundle.export_zip(customer, body.query, scope, path, actor=request.auth, user=request.auth)
    except evidence_bundle.EvidenceError as exc:
        export_files.discard(path)
        raise HttpError(422, str(exc)) from exc
    resp = FileResponse(export_files.open_once(path), as_attachment=True, filename=path.name,
                        content_type="application/zip")
    resp["X-Export-Count"] = str(result["messages"])
    resp["X-Content-SHA256"] = result["sha256"]
    resp["X-Checks-OK"] = "true" if result["ok"] else "false"
    return resp
