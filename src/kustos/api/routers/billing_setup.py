"""/api/v1 billing set-up: the operator's price list (partners read it), trials (partner admins for
their customers, the operator for all), a customer's activations and usage samples (read)."""

from __future__ import annotations

from ninja import Router, Schema, Status

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.billing.services import activations, prices, trials, usage

router = Router(tags=["billing"])


class PriceIn(Schema):
    service: str = ""  # checked by the service (one-line 422 naming the problem)
    unit: str = ""
    price: str = ""
    valid_from: str = ""  # YYYY-MM-DD, empty = today (Berlin)


class TrialIn(Schema):
    service: str = ""
    then: str = "paid"  # paid | end


@router.get("/prices", response=list[dict],
            summary="The price list: EUR per service and unit and month with validity (history included)")
def list_prices(request):
    access.require(request.auth, Perm.PRICE_VIEW)
    return prices.price_list()


@router.post("/prices", response={201: dict},
             summary="Set a price (operator): service archive (unit GB) or backup (unit account), from a date")
def set_price(request, body: PriceIn):
    access.require(request.auth, Perm.PRICE_MANAGE)
    row = prices.set_price(body.service, body.unit, body.price, body.valid_from or None, actor=request.auth)
    return Status(201, prices.as_dict(row, prices.today()))


@router.get("/trials", response=list[dict], summary="Trials, running and past, of the partners the caller sees")
def list_trials(request):
    access.require(request.auth, Perm.USAGE_VIEW)
    return trials.trials(partner_ids=list(access.partners_for(request.auth).values_list("id", flat=True)))


@router.post("/customers/{customer_id}/trials", response={201: dict},
             summary="Start the customer's 14-day trial of a service (once per customer and service); "
                     "then = paid (continue paid) or end")
def start_trial(request, customer_id: str, body: TrialIn):
    customer = access.get_customer(request.auth, customer_id, Perm.TRIAL_START)
    row = trials.start(customer, body.service, body.then, actor=request.auth)
    return Status(201, activations.as_dict(row))


@router.get("/customers/{customer_id}/activations", response=list[dict],
            summary="The customer's service activations and trials (billing starts with activation)")
def customer_activations(request, customer_id: str):
    customer = access.get_customer(request.auth, customer_id, Perm.USAGE_VIEW)
    return activations.for_customer(customer.id)


@router.get("/customers/{customer_id}/usage", response=list[dict],
            summary="The customer's daily usage samples (archive stored bytes, protected backup accounts)")
def customer_usage(request, customer_id: str, service: str = "", month: str = ""):
    customer = access.get_customer(request.auth, customer_id, Perm.USAGE_VIEW)
    return usage.show(customer.id, service or None, month or None)
