"""/api/v1 Z3 tax-audit handover: one ZIP of index.xml, messages.csv, .eml originals, SHA256SUMS."""

from __future__ import annotations

from django.http import FileResponse
from ninja import Router, Schema

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.archive.services import export_files, z3
from kustos.archive.services import search as search_service

router = Router(tags=["archive"])


class Z3In(Schema):
    query: str = ""


@router.post("/customers/{customer_id}/exports/z3", response={200: None},
             summary="Z3 export (GDPdU) of the messages matching the query, as one ZIP",
             description="The ZIP holds index.xml (GDPdU description, DTD gdpdu-01-09-2004.dtd beside it), "
                         "messages.csv, mails/<archive id>.eml (original bytes) and SHA256SUMS; two exports of "
                         "the same selection are byte-identical. Only messages your access lets you see are "
                         "included (auditors: their grant). Headers: X-Export-Count, X-Content-SHA256.")
def export_z3(request, customer_id: str, body: Z3In):
    customer = access.get_customer(request.auth, customer_id, Perm.ARCHIVE_EXPORT)
    scope = search_service.download_scope_for(request.auth, customer)
    path = export_files.new_path(customer.id, f"z3-{customer.id}.zip")
    result = z3.export_zip(customer, body.query, scope, path, actor=request.auth)
    resp = FileResponse(export_files.open_once(path), as_attachment=True, filename=path.name,
                        content_type="application/zip")
    resp["X-Export-Count"] = str(result["messages"])
    resp["X-Content-SHA256"] = result["sha256"]
    return resp
