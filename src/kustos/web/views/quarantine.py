"""Quarantine page per customer: input that could not be archived, with reason, source, date and
size; those who may import can download the kept bytes and retry (archive them again)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.archive.services import quarantine


@login_required
@require_GET
def quarantine_list(request: HttpRequest, customer_id: str) -> HttpResponse:
    customer = access.get_customer(request.user, customer_id, Perm.SOURCE_VIEW)
    show_resolved = request.GET.get("resolved") == "1"
    context = {
        "customer": customer,
        "items": quarantine.items([customer], resolved=show_resolved)[:500],
        "show_resolved": show_resolved,
        "can_import": access.has_perm(request.user, Perm.ARCHIVE_IMPORT),
    }
    return render(request, "kustos/archive/quarantine.html", context)


@login_required
@require_GET
def quarantine_raw(request: HttpRequest, customer_id: str, item_id: str) -> HttpResponse:
    customer = access.get_customer(request.user, customer_id, Perm.ARCHIVE_IMPORT)
    item = quarantine.get(customer, item_id)
    try:
        data = quarantine.raw(item, actor=request.user)
    except ValidationError as exc:
        return HttpResponse("; ".join(exc.messages), status=404, content_type="text/plain")
    resp = HttpResponse(data, content_type="application/octet-stream")
    resp["Content-Disposition"] = f'attachment; filename="{quarantine.download_name(item)}"'
    return resp


@login_required
@require_POST
def quarantine_retry(request: HttpRequest, customer_id: str, item_id: str) -> HttpResponse:
    customer = access.get_customer(request.user, customer_id, Perm.ARCHIVE_IMPORT)
    item = quarantine.get(customer, item_id)
    try:
        result = quarantine.retry(item, actor=request.user, mailbox=request.POST.get("mailbox") or None)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        if result.resolved:
            messages.success(request, _("Archived: the item is resolved."))
        else:
            messages.error(request, _("Still quarantined: %(reason)s") % {"reason": result.item.reason})
    return redirect(f"/customers/{customer.id}/quarantine/")
