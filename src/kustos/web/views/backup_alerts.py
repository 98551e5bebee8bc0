"""Acknowledging a backup anomaly alert from the customer's backup overview (the list and the banner are
part of the overview). Thin over ``kustos.backup.services.alerts``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.backup.services import alerts


@login_required
@require_POST
def backup_alert_ack(request: HttpRequest, customer_id: str) -> HttpResponse:
    customer = access.get_customer(request.user, customer_id, Perm.BACKUP_MANAGE)
    ref = request.POST.get("alert", "")
    if not ref:
        messages.error(request, _("No alert given."))
    else:
        alerts.acknowledge_ids(customer, [ref], request.user)
        messages.success(request, _("Alert acknowledged."))
    return redirect(f"/customers/{customer.id}/backup/")
