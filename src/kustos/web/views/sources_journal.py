"""The customer's SMTP journaling address with setup instructions per mail server, and who may
deliver to it / whose journal reports are trusted (form posts to the same page)."""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.archive.services import journal, journal_setup


def _lines(text: str) -> list[str]:
    """Networks typed one per line (commas and spaces also separate)."""
    return [part for part in re.split(r"[\s,;]+", text or "") if part]


@login_required
@require_http_methods(["GET", "POST"])
def journal_page(request: HttpRequest, customer_id: str) -> HttpResponse:
    if request.method == "POST":
        customer = access.get_customer(request.user, customer_id, Perm.SOURCE_MANAGE)
    else:
        customer = access.get_customer(request.user, customer_id, Perm.SOURCE_VIEW)
    error, status = "", 200
    form = {"allowed_hosts": "", "trusted_hosts": ""}
    if request.method == "POST":
        form = {"allowed_hosts": request.POST.get("allowed_hosts", ""),
                "trusted_hosts": request.POST.get("trusted_hosts", "")}
        try:
            journal.configure(customer, allowed_hosts=_lines(form["allowed_hosts"]),
                              trusted_hosts=_lines(form["trusted_hosts"]),
                              trust_authenticated=request.POST.get("trust_authenticated") == "on",
                              actor=request.user)
        except ValidationError as exc:
            error, status = "; ".join(exc.messages), 400
        else:
            messages.success(request, _("Journaling settings saved."))
            return redirect(f"/customers/{customer.id}/journal/")
    info = journal.public(customer)
    if not error:
        form = {"allowed_hosts": "\n".join(info["allowed_hosts"]), "trusted_hosts": "\n".join(info["trusted_hosts"])}
    # The receiver answers for smtp_domain; senders relay to that host on smtp_port.
    context = {"customer": customer, "address": info["address"], "smtp_host": info["host"],
               "smtp_port": info["port"], "domain": info["address"].rpartition("@")[2], "info": info,
               "form": form, "error": error, "can_manage": access.has_perm(request.user, Perm.SOURCE_MANAGE)}
    platform = request.GET.get("platform", "")
    platform = platform if platform in journal_setup.PLATFORMS else journal_setup.PLATFORMS[0]
    lang = "de" if (get_language() or "").startswith("de") else "en"
    context["setup"] = journal_setup.setup(customer, platform, lang, actor=request.user, audited=False)
    context["last_report"] = journal_setup.last_report_at(customer)
    context["platforms"] = list(journal_setup.TITLES.items())
    return render(request, "kustos/sources/journal.html", context, status=status)
