"""/api/v1 compliance documents of a customer: the versioned procedure documentation (GoBD) and the
Art. 30 GDPR record of processing.

Creating a version and the Art. 30 record need `compliance.manage` / `compliance.view` (customer
admins and partner staff); the stored procedure-doc versions may also be read by auditors with an
active grant (`compliance.procedure_doc.read`).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from ninja import Router

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.compliance.services import art30, procedure_doc
from kustos.compliance.services.facts import InstallationFacts

router = Router(tags=["compliance"])


@router.post("/customers/{customer_id}/procedure-doc", response=dict,
             summary="Store the procedure documentation for the current configuration (a new version only "
                     "when it changed; `created` says which)")
def create_version(request, customer_id: str):
    customer = access.get_customer(request.auth, customer_id, Perm.COMPLIANCE_MANAGE)
    doc, created = procedure_doc.create(customer, InstallationFacts.from_settings(settings.KUSTOS),
                                        actor=request.auth)
    return {**procedure_doc.public(doc), "created": created}


@router.get("/customers/{customer_id}/procedure-doc/versions", response=list[dict],
            summary="The stored versions of the procedure documentation, newest first")
def list_versions(request, customer_id: str):
    customer = access.get_customer(request.auth, customer_id, Perm.PROCEDURE_DOC_READ)
    return [procedure_doc.public(d) for d in procedure_doc.versions(customer)]


@router.get("/customers/{customer_id}/procedure-doc/versions/{version}", response={200: None},
            summary="One stored version as Markdown, byte-identical to when it was created")
def get_version(request, customer_id: str, version: int):
    customer = access.get_customer(request.auth, customer_id, Perm.PROCEDURE_DOC_READ)
    doc = procedure_doc.get(customer, version)
    resp = HttpResponse(procedure_doc.payload(doc), content_type="text/markdown; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="{procedure_doc.download_name(doc)}"'
    resp["X-Content-SHA256"] = doc.sha256
    return resp


@router.get("/customers/{customer_id}/art30", response={200: None},
            summary="The Art. 30 GDPR record of processing (`format=md` Markdown, `format=json`)")
def art30_record(request, customer_id: str, format: str = "md"):
    customer = access.get_customer(request.auth, customer_id, Perm.COMPLIANCE_VIEW)
    data = art30.export(customer, InstallationFacts.from_settings(settings.KUSTOS), actor=request.auth, fmt=format)
    kind = "application/json" if format == "json" else "text/markdown; charset=utf-8"
    resp = HttpResponse(data, content_type=kind)
    resp["Content-Disposition"] = f'attachment; filename="art30-{customer.id}.{format}"'
    return resp
