"""Operator: storage locations. Locations outside the EU are refused unless explicitly approved."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.tenants.services import locations
from kustos.web.forms import LocationForm


@login_required
@require_http_methods(["GET", "POST"])
def location_list(request: HttpRequest) -> HttpResponse:
    access.require(request.user, Perm.LOCATION_MANAGE)
    form = LocationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            loc = locations.create(data["id"], data["name"], data["country"], vault_url=data["vault_url"],
                                   outside_eu_override=data["outside_eu_override"], actor=request.user)
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            messages.success(request, _("Storage location “%(id)s” created.") % {"id": loc.id})
            return redirect("/locations/")
    rows = access.locations_for(request.user).annotate(n_customers=Count("customers"))
    return render(request, "kustos/locations/list.html", {"locations": rows, "form": form},
                  status=400 if form.errors else 200)
