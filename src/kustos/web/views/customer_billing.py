"""The "Services and billing" card on a customer's page (per service: active since, trial until and
what follows, ended; the last usage sample; the 14-day trial form) and the trial start it posts to."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.billing.models import ServiceActivation
from kustos.billing.services import activations, trials, usage
from kustos.tenants.models import Customer


def card(user: Any, customer: Customer) -> dict[str, Any]:
    """What the card shows; ``visible`` is False for roles that see no billing."""
    if not access.has_perm(user, Perm.USAGE_VIEW):
        return {"visible": False}
    rows = []
    for service in activations.SERVICES:
        row = activations.latest(customer.id, service)
        trial_used = ServiceActivation.objects.filter(customer_id=customer.id, service=service,
                                                      trial_started_at__isnull=False).exists()
        state = activations.state(row)
        rows.append({"service": service, "row": row, "state": state, "enabled": activations.enabled(customer, service),
                     "sample": usage.last(customer.id, service),
                     "can_trial": access.has_perm(user, Perm.TRIAL_START) and not trial_used
                     and state not in ("active", "trial")})
    return {"visible": True, "customer": customer, "services": rows}


@login_required
@require_POST
def trial_start(request: HttpRequest, customer_id: str) -> HttpResponse:
    customer = access.get_customer(request.user, customer_id, Perm.TRIAL_START)
    try:
        trials.start(customer, request.POST.get("service", ""), request.POST.get("then", "paid"), actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The 14-day trial has started."))
    return redirect(f"/customers/{customer.id}/")
