"""The price list page: the operator sets prices with a validity date (history kept); partners
see the same list read-only."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.billing.services import prices

FIELDS = ("service", "unit", "price", "valid_from")


@login_required
@require_http_methods(["GET", "POST"])
def price_list(request: HttpRequest) -> HttpResponse:
    access.require(request.user, Perm.PRICE_VIEW)
    can_manage = access.has_perm(request.user, Perm.PRICE_MANAGE)
    form = {k: request.POST.get(k, "") for k in FIELDS}
    error = ""
    if request.method == "POST":
        access.require(request.user, Perm.PRICE_MANAGE)
        try:
            prices.set_price(form["service"], form["unit"], form["price"], form["valid_from"] or None,
                             actor=request.user)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("Price saved."))
            return redirect("/prices/")
    context = {"prices": prices.price_list(), "can_manage": can_manage, "form": form, "error": error,
               "today": prices.today()}
    return render(request, "kustos/billing/setup_prices.html", context, status=422 if error else 200)
