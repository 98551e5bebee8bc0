"""/api/v1/customers/{id}/key-export: the customer's data key as a passphrase-protected key file for
the standalone reader kustos-read (partner admins only; audited)."""

from __future__ import annotations

from django.http import HttpResponse
from ninja import Router, Schema

from kustos.tenants.services import key_export
from kustos.web.client_address import client_ip

router = Router(tags=["customers"])


class KeyExportIn(Schema):
    passphrase: str = ""


@router.post("/customers/{customer_id}/key-export", response={200: None},
             summary="Export the customer's key protected by a passphrase (for kustos-read; partner admins; audited)",
             description=f"Returns the key file (JSON, format in docs/FORMAT.md). The passphrase needs at least "
                         f"{key_export.MIN_PASSPHRASE} characters; it is not stored.")
def export(request, customer_id: str, body: KeyExportIn):
    customer, data = key_export.export_key_as(request.auth, customer_id, body.passphrase, client_ip(request))
    resp = HttpResponse(data, content_type="application/json")
    resp["Content-Disposition"] = f'attachment; filename="{key_export.filename(customer)}"'
    resp["Cache-Control"] = "private, no-store"
    return resp
