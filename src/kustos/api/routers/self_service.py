"""/api/v1 end-user self-service: the customer's switches (search, download, restore, IMAP), a message
as PDF and a message's sanitised reading view (the Outlook add-in shows it)."""

from __future__ import annotations

from django.http import HttpResponse
from ninja import Router, Schema

from kustos.archive.services import message_pdf, message_render, messages
from kustos.tenants.services import self_service

router = Router(tags=["self-service"])


class SelfServiceIn(Schema):
    search: bool | None = None
    download: bool | None = None
    restore: bool | None = None
    imap: bool | None = None


@router.get("/customers/{customer_id}/self-service", response=dict,
            summary="What the customer's end users may do themselves (search, download, restore, IMAP)")
def get_switches(request, customer_id: str):
    return self_service.as_dict(self_service.get_as(request.auth, customer_id))


@router.put("/customers/{customer_id}/self-service", response=dict,
            summary="Turn end-user self-service features on or off (customer admins, partner staff; audited)",
            description="Only the switches given change; `null` or a missing switch keeps its value.")
def put_switches(request, customer_id: str, body: SelfServiceIn):
    changes = {k: v for k, v in body.dict().items() if v is not None}
    return self_service.update_as(request.auth, customer_id, changes)


@router.get("/messages/{message_id}/pdf", summary="The message as PDF (headers, sanitised body, attachment list)",
            response={200: None})
def message_pdf_download(request, message_id: str):
    msg = messages.get_for_download(request.auth, message_id)
    data = message_pdf.render_pdf(msg, messages.scope_of(request.auth, msg))
    messages.log_view(request.auth, msg, "download_pdf")
    resp = HttpResponse(data, content_type="application/pdf")
    resp["Content-Disposition"] = f'attachment; filename="{msg.id}.pdf"'
    resp["Cache-Control"] = "private, no-store"
    return resp


@router.get("/messages/{message_id}/view", response=dict,
            summary="The message's reading view: headers, sanitised HTML body, text, attachment list")
def message_view(request, message_id: str):
    msg = messages.get_for(request.auth, message_id)
    view = message_render.render(msg, messages.scope_of(request.auth, msg))
    messages.log_view(request.auth, msg, "view")
    return view.as_dict()
