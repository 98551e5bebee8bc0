"""/api/v1 data-subject requests (requirements 22, 23): access (Art. 15), erasure (Art. 17),
restriction (Art. 18), each with a decision and reason per message, a report and an export.

Partner admins and customer admins (`lifecycle.gdpr`); auditors never.
"""

from __future__ import annotations

from typing import Literal

from django.http import FileResponse, HttpResponse
from ninja import Router, Schema, Status

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.archive.services import export_files
from kustos.lifecycle.services import gdpr, gdpr_report

router = Router(tags=["data-subject requests"])


class RequestIn(Schema):
    kind: str = ""  # access, erase or restrict; checked by the service (one-line 422 naming the problem)
    subject: str = ""


@router.get("/customers/{customer_id}/gdpr/requests", response=list[dict],
            summary="Data-subject requests of the customer, newest first (kind, subject, counts per decision)")
def list_requests(request, customer_id: str):
    customer = access.get_customer(request.auth, customer_id, Perm.GDPR_REQUEST)
    return [gdpr.summary_dict(r) for r in gdpr.requests(customer)]


@router.post("/customers/{customer_id}/gdpr/requests", response={201: dict},
             summary="Run a data-subject request for an address: access discloses every message concerning it; "
                     "erase restricts messages under a retention duty or legal hold and proposes the rest for "
                     "deletion (approval required); restrict restricts every one. Returns the decisions")
def create_request(request, customer_id: str, body: RequestIn):
    customer = access.get_customer(request.auth, customer_id, Perm.GDPR_REQUEST)
    return Status(201, gdpr.as_dict(gdpr.run(customer, body.kind, body.subject, actor=request.auth)))


@router.get("/customers/{customer_id}/gdpr/requests/{request_id}", response=dict,
            summary="One request with its decision and reason per message")
def show_request(request, customer_id: str, request_id: str):
    customer = access.get_customer(request.auth, customer_id, Perm.GDPR_REQUEST)
    return gdpr.as_dict(gdpr.get(customer, request_id))


@router.get("/customers/{customer_id}/gdpr/requests/{request_id}/report", response={200: None},
            summary="The request's report (what is stored, purposes, retention, recipients, source) as "
                    "Markdown (format=md) or HTML (format=html)")
def request_report(request, customer_id: str, request_id: str, format: Literal["md", "html"] = "md"):
    customer = access.get_customer(request.auth, customer_id, Perm.GDPR_REQUEST)
    item = gdpr.get(customer, request_id)
    data = gdpr_report.report(item, format, actor=request.auth)
    resp = HttpResponse(data, content_type="text/html; charset=utf-8" if format == "html"
                        else "text/markdown; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="{item.id}-report.{format}"'
    return resp


@router.get("/customers/{customer_id}/gdpr/requests/{request_id}/export", response={200: None},
            summary="The request's export: one ZIP with report.md, report.html, messages.csv (metadata, "
                    "SHA-256) and messages/<archive id>.eml (original bytes)")
def request_export(request, customer_id: str, request_id: str):
    customer = access.get_customer(request.auth, customer_id, Perm.GDPR_REQUEST)
    item = gdpr.get(customer, request_id)
    path = export_files.new_path(customer.id, f"{item.id}-export.zip")
    result = gdpr_report.export(item, path, actor=request.auth)
    resp = FileResponse(export_files.open_once(path), as_attachment=True, filename=path.name,
                        content_type="application/zip")
    resp["X-Export-Count"] = str(result["messages"])
    return resp
