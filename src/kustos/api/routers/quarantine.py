"""/api/v1 quarantine: input that could not be archived, kept with its reason.

Listing needs `source.view` (the operator may look, as on the sources page); the kept bytes and
retrying need `archive.import` (the roles that may import mail).
"""

from __future__ import annotations

from django.http import HttpResponse
from ninja import Router, Schema

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.archive.services import quarantine

router = Router(tags=["imports"])


class RetryIn(Schema):
    mailbox: str = ""


@router.get("/customers/{customer_id}/quarantine", response=list[dict],
            summary="A customer's quarantined input (open items; `resolved=true` adds retried ones)")
def list_items(request, customer_id: str, resolved: bool = False):
    customer = access.get_customer(request.auth, customer_id, Perm.SOURCE_VIEW)
    return [quarantine.public(item) for item in quarantine.items([customer], resolved=resolved)]


@router.get("/customers/{customer_id}/quarantine/{item_id}", response=dict,
            summary="One quarantined item: reason, source, size, mailbox, resolution")
def get_item(request, customer_id: str, item_id: str):
    customer = access.get_customer(request.auth, customer_id, Perm.SOURCE_VIEW)
    return quarantine.public(quarantine.get(customer, item_id))


@router.get("/customers/{customer_id}/quarantine/{item_id}/raw", response={200: None},
            summary="The kept bytes of a quarantined item, byte-exact")
def raw(request, customer_id: str, item_id: str):
    customer = access.get_customer(request.auth, customer_id, Perm.ARCHIVE_IMPORT)
    item = quarantine.get(customer, item_id)
    resp = HttpResponse(quarantine.raw(item, actor=request.auth), content_type="application/octet-stream")
    resp["Content-Disposition"] = f'attachment; filename="{quarantine.download_name(item)}"'
    return resp


@router.post("/customers/{customer_id}/quarantine/{item_id}/retry", response=dict,
             summary="Read the kept bytes again and archive them (e.g. after a parser fix); "
                     "`resolved` false keeps the item with the new reason")
def retry(request, customer_id: str, item_id: str, body: RetryIn | None = None):
    customer = access.get_customer(request.auth, customer_id, Perm.ARCHIVE_IMPORT)
    item = quarantine.get(customer, item_id)
    mailbox = body.mailbox if body is not None else ""
    return quarantine.retry(item, actor=request.auth, mailbox=mailbox or None).as_dict()
