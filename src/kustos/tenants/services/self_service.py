"""End-user self-service switches of a customer (search, download, restore, IMAP): read and change them.

What each switch allows is decided in ``accounts.access.self_service_allows``; this module only keeps
the settings. Customer admins and partner staff change them (``Perm.COMPLIANCE_MANAGE``: the roles that
govern how a customer's archive is used); everyone who sees the customer may read them. Every change
is audited as ``customer.self_service`` with the switches before and after.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.audit import services as audit
from kustos.tenants.models import Customer, SelfService

FEATURES = SelfService.FEATURES
_ON = {"on", "true", "1", "yes", "an", "ein"}
_OFF = {"off", "false", "0", "no", "aus"}


def switches(customer: Customer) -> dict[str, bool]:
    """The customer's switches (no row: every feature on)."""
    row = SelfService.objects.filter(customer=customer).first()
    return {f: True if row is None else bool(getattr(row, f)) for f in FEATURES}


def as_dict(customer: Customer) -> dict[str, Any]:
    row = SelfService.objects.filter(customer=customer).first()
    return {"customer": customer.id, **switches(customer),
            "updated_at": row.updated_at.isoformat() if row else None, "updated_by": row.updated_by if row else ""}


def parse_switch(name: str, value: Any) -> bool:
    """``True``/``False`` or on|off (true|false, 1|0, yes|no); anything else is a clear error."""
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in _ON:
        return True
    if word in _OFF:
        return False
    raise ValidationError(f"{name}: use on or off, not {value!r}")


def update(customer: Customer, changes: dict[str, Any], *, actor: Any) -> dict[str, Any]:
    """Set the named switches (others stay); audited with the values before and after."""
    unknown = sorted(set(changes) - set(FEATURES))
    if unknown:
        raise ValidationError(f"unknown self-service switch {unknown[0]!r}; known: {', '.join(FEATURES)}")
    values = {name: parse_switch(name, value) for name, value in changes.items() if value is not None}
    with transaction.atomic():
        before = switches(customer)
        row, _created = SelfService.objects.select_for_update().get_or_create(customer=customer)
        for name, on in values.items():
            setattr(row, name, on)
        row.updated_by = getattr(actor, "email", None) or str(actor or "")
        row.save()
        after = switches(customer)
        audit.record("customer.self_service", actor=actor, customer=customer,
                     detail={"before": before, "after": after,
                             "changed": sorted(k for k in FEATURES if before[k] != after[k])})
    return as_dict(customer)


def get_as(user: Any, customer_id: str) -> Customer:
    """The customer whose switches ``user`` may read (404 outside the scope)."""
    return access.get_customer(user, customer_id, Perm.CUSTOMER_VIEW)


def update_as(user: Any, customer_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Change the switches as ``user``: customer admins and partner staff (403 for other roles)."""
    customer = access.get_customer(user, customer_id, Perm.COMPLIANCE_MANAGE)
    return update(customer, changes, actor=user)


def can_manage(user: Any) -> bool:
    return access.has_perm(user, Perm.COMPLIANCE_MANAGE)
