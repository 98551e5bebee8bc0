"""Operator: partners (list, create, rename)."""

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
from kustos.tenants.services import partners, stats
from kustos.web.forms import PartnerForm


@login_required
@require_http_methods(["GET", "POST"])
def partner_list(request: HttpRequest) -> HttpResponse:
    access.require(request.user, Perm.PARTNER_VIEW)
    form = PartnerForm(request.POST or None)
    if request.method == "POST":
        access.require(request.user, Perm.PARTNER_MANAGE)
        if form.is_valid():
            try:
                partner = partners.create(form.cleaned_data["name"], actor=request.user)
            except ValidationError as exc:
                form.add_error("name", exc.messages[0])
            else:
                messages.success(request, _("Partner “%(name)s” created.") % {"name": partner.name})
                return redirect("/partners/")
    rows = stats.partners_with_totals(access.partners_for(request.user))
    return render(request, "kustos/partners/list.html", {"partners": rows, "form": form},
                  status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def partner_detail(request: HttpRequest, partner_id: str) -> HttpResponse:
    partner = access.get_partner(request.user, partner_id, Perm.PARTNER_VIEW)
    form = PartnerForm(request.POST or None, initial={"name": partner.name})
    if request.method == "POST":
        access.require(request.user, Perm.PARTNER_MANAGE)
        if form.is_valid():
            try:
                partners.rename(partner, form.cleaned_data["name"], actor=request.user)
            except ValidationError as exc:
                form.add_error("name", exc.messages[0])
            else:
                messages.success(request, _("Partner renamed."))
                return redirect(f"/partners/{partner.id}/")
    context = {
        "partner": partner, "form": form,
        "customers": stats.customers_with_health(access.customers_for(request.user).filter(partner=partner))[:50],
        "users": access.users_for(request.user).filter(partner=partner)[:50],
    }
    return render(request, "kustos/partners/detail.html", context, status=400 if form.errors else 200)
