"""The customer's SMTP journaling address with setup instructions per mail server."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.archive.services import journal
from kustos.core import runtime


@login_required
@require_GET
def journal_page(request: HttpRequest, customer_id: str) -> HttpResponse:
    customer = access.get_customer(request.user, customer_id, Perm.SOURCE_VIEW)
    settings = runtime.settings()
    address = journal.address(customer)
    # The receiver answers for smtp_domain; senders relay to that host on smtp_port.
    context = {"customer": customer, "address": address, "smtp_host": settings.smtp_domain,
               "smtp_port": settings.smtp_port,
               "domain": address.rpartition("@")[2]}
    return render(request, "kustos/sources/journal.html", context)
