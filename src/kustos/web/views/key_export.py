"""The dashboard action "Export key for kustos-read" on a customer (partner admins; audited).
Thin: ``tenants.services.key_export`` does the work, ``accounts.access`` decides who may."""

from __future__ import annotations

from django.contrib import messages as ui
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.tenants.services import key_export
from kustos.web.client_address import client_ip


@login_required
@require_http_methods(["GET", "POST"])
def key_export_page(request: HttpRequest, customer_id: str) -> HttpResponse:
    if request.method == "POST":
        passphrase = request.POST.get("passphrase", "")
        if passphrase != request.POST.get("passphrase2", ""):
            access.get_customer(request.user, customer_id, Perm.CUSTOMER_KEY_EXPORT)
            ui.error(request, _("The passphrases differ."))
            return redirect(f"/customers/{customer_id}/key-export/")
        try:
            customer, data = key_export.export_key_as(request.user, customer_id, passphrase, client_ip(request))
        except ValidationError as exc:
            ui.error(request, "; ".join(exc.messages))
            return redirect(f"/customers/{customer_id}/key-export/")
        resp = HttpResponse(data, content_type="application/json")
        resp["Content-Disposition"] = f'attachment; filename="{key_export.filename(customer)}"'
        resp["Cache-Control"] = "private, no-store"
        return resp
    customer = access.get_customer(request.user, customer_id, Perm.CUSTOMER_KEY_EXPORT)
    return render(request, "kustos/customers/key_export.html",
                  {"customer": customer, "min_length": key_export.MIN_PASSPHRASE})
