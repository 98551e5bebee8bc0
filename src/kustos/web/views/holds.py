"""Legal holds page per customer (requirement 12): cases with their holds and counts, a form that
opens a case with a hold in one step (case name + query), release, and a case's held messages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.lifecycle.services import holds


@login_required
@require_http_methods(["GET", "POST"])
def holds_page(request: HttpRequest, customer_id: str) -> HttpResponse:
    customer = access.get_customer(request.user, customer_id, Perm.LEGAL_HOLD)
    if request.method == "POST":
        mailboxes = [m for m in request.POST.get("mailboxes", "").replace(",", " ").split() if m]
        try:
            hold = holds.create(customer, request.POST.get("case", ""), request.POST.get("query", ""),
                                mailboxes=mailboxes, actor=request.user)
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
            return redirect(f"/customers/{customer.id}/holds/")
        messages.success(request, _("Case %(case)s: %(count)d messages are on hold.")
                         % {"case": hold.case.name, "count": hold.messages})
        return redirect(f"/customers/{customer.id}/holds/cases/{hold.case_id}/")
    context = {"customer": customer, "cases": holds.cases(customer), "query": request.GET.get("q", ""),
               "mailboxes": request.GET.get("mailboxes", "")}
    return render(request, "kustos/holds/list.html", context)


@login_required
@require_POST
def hold_release(request: HttpRequest, customer_id: str, hold_id: str) -> HttpResponse:
    customer = access.get_customer(request.user, customer_id, Perm.LEGAL_HOLD)
    hold = holds.get(hold_id, customer)
    try:
        holds.release(hold, actor=request.user)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(request, _("Hold %(hold)s released.") % {"hold": hold.id})
    return redirect(f"/customers/{customer.id}/holds/cases/{hold.case_id}/")


@login_required
@require_GET
def case_page(request: HttpRequest, customer_id: str, case_id: str) -> HttpResponse:
    customer = access.get_customer(request.user, customer_id, Perm.LEGAL_HOLD)
    return render(request, "kustos/holds/case.html", {"customer": customer, "case": holds.case_detail(customer, case_id),
                                                      "shown": holds.SHOWN_ITEMS})
