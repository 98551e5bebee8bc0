"""Completeness page per customer: the reconcile report (ingest sequence, sources, journaling)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.archive.services import reconcile


@login_required
@require_GET
def reconcile_page(request: HttpRequest, customer_id: str) -> HttpResponse:
    customer = access.get_customer(request.user, customer_id, Perm.SOURCE_VIEW)
    live = request.GET.get("live") == "1"
    context = {"customer": customer, "report": reconcile.report(customer, live=live, actor=request.user),
               "live": live}
    return render(request, "kustos/archive/reconcile.html", context)
