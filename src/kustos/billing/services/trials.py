"""Trials: 14 days, once per customer and service, nothing charged meanwhile. At the end the
service continues paid (billing starts at the trial end) or ends (the customer's service is
switched off), as chosen at the start. The partner is told before the end (``trial.ending``,
3 days by default) through its notification routes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from kustos.audit import services as audit
from kustos.billing.models import ServiceActivation
from kustos.billing.services import activations
from kustos.notify.services import checks
from kustos.tenants.models import Customer, Partner
from kustos.tenants.services import customers as customer_service

TRIAL_DAYS = 14
THEN = ("paid", "end")
END_TRIAL = "trial ended"


def _check(service: str, then: str) -> None:
    if service not in activations.SERVICES:
        raise ValidationError(f"unknown service {service!r}: use archive or backup")
    if then not in THEN:
        raise ValidationError(f"unknown choice {then!r} for the end of the trial: use paid or end")


def start(customer: Customer, service: str, then: str = "paid", *, actor: Any = None,
          now: datetime | None = None) -> ServiceActivation:
    """Start the customer's one trial of ``service``; refused when it was used or the service is billed."""
    _check(service, then)
    now = now or timezone.now()
    used = ServiceActivation.objects.filter(customer_id=customer.id, service=service,
                                            trial_started_at__isnull=False).first()
    if used is not None:
        raise ValidationError(
            f"customer {customer.name} ({customer.id}) already had its {service} trial "
            f"({used.trial_started_at:%Y-%m-%d} to {used.trial_ends_at:%Y-%m-%d}); a trial can be used once "
            "per customer and service")
    paid = activations.current(customer.id, service)
    if paid is not None and paid.activated_at is not None:
        raise ValidationError(
            f"customer {customer.name} ({customer.id}) already uses {service} paid since "
            f"{paid.activated_at:%Y-%m-%d}; a trial is only possible before")
    try:
        with transaction.atomic():
            row = ServiceActivation.objects.create(
                partner_id=customer.partner_id, customer_id=customer.id, customer_name=customer.name,
                legal_name=customer.legal_name, service=service, trial_started_at=now,
                trial_ends_at=now + timedelta(days=TRIAL_DAYS), trial_then=then,
                created_by=getattr(actor, "email", None) or str(actor or ""))
    except IntegrityError:
        raise ValidationError(f"customer {customer.name} ({customer.id}) already had its {service} trial") from None
    if not activations.enabled(customer, service):
        customer_service.update(customer, {activations.FLAGS[service]: True}, actor=actor)
    audit.record("billing.trial.start", actor=actor, customer=customer, target=row.id,
                 detail={"service": service, "then": then, "ends_at": row.trial_ends_at.isoformat()})
    return row


def expire(as_of: datetime | None = None) -> dict[str, int]:
    """End or convert the trials that ended by ``as_of``; warn about those ending within 3 days."""
    as_of = as_of or timezone.now()
    out = {"converted": 0, "ended": 0, "warned": 0}
    due = ServiceActivation.objects.filter(trial_started_at__isnull=False, activated_at__isnull=True,
                                           ended_at__isnull=True, trial_ends_at__lte=as_of)
    for row in due:
        customer = Customer.objects.filter(id=row.customer_id).first()
        if row.trial_then == "paid":
            row.activated_at = row.trial_ends_at
            row.save(update_fields=["activated_at"])
            out["converted"] += 1
        else:
            row.ended_at, row.end_reason = row.trial_ends_at, END_TRIAL
            row.save(update_fields=["ended_at", "end_reason"])
            if customer is not None and activations.enabled(customer, row.service):
                customer_service.update(customer, {activations.FLAGS[row.service]: False}, actor="system")
            out["ended"] += 1
        audit.record("billing.trial.expire", actor="system", customer=row.customer_id, partner=row.partner_id,
                     target=row.id, detail={"service": row.service, "then": row.trial_then})
    # "trial ending" 3 days ahead (the partner's notice days): the notification check raises the
    # event once per trial (e-mail to the partner admins unless the partner routed it elsewhere)
    out["warned"] = checks.trials_ending(as_of)
    return out


def trials(partner: Partner | None = None, partner_ids: list[str] | None = None) -> list[dict[str, Any]]:
    """Every trial (running and past), optionally of one partner or of the given partners."""
    rows = ServiceActivation.objects.filter(trial_started_at__isnull=False)
    if partner is not None:
        rows = rows.filter(partner=partner)
    if partner_ids is not None:
        rows = rows.filter(partner_id__in=partner_ids)
    return [activations.as_dict(r) for r in rows.order_by("-trial_started_at")]
