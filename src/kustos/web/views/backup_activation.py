"""Bulk activation of backup accounts from a CSV upload on the plan page: the report per line is shown
(status 400 when the file has errors and nothing changed). Thin over ``backup.services.activation``."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kustos.accounts.access import Perm
from kustos.backup.services import activation, plans
from kustos.web.views.backup import _source


@login_required
@require_POST
def backup_activate(request: HttpRequest, customer_id: str, source_id: str) -> HttpResponse:
    customer, source = _source(request.user, customer_id, source_id, Perm.BACKUP_MANAGE)
    plan = plans.for_source(source)
    upload = request.FILES.get("csv")
    report, error = None, ""
    if upload is None:
        error = _("Choose a CSV file.")
    else:
        try:
            report = activation.activate(plan, upload.read(activation.MAX_BYTES + 1),
                                         partial=request.POST.get("partial") == "on",
                                         explicit=request.POST.get("explicit") == "on", actor=request.user)
        except ValidationError as exc:
            error = "; ".join(exc.messages)
    status = 400 if error or (report and report["errors"] and not report["applied"]) else 200
    return render(request, "kustos/backup/activate.html", {
        "customer": customer, "source": source, "report": report, "error": error,
        "offered": plans.offered_services(plans.kind_for(source))}, status=status)
