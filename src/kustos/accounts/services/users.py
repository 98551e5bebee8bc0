"""Creating and changing users. Scope rules: partner roles need a partner, customer roles
a customer, auditors get grants (customer, date range, expiry)."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from kustos.accounts.models import AuditorGrant, User
from kustos.accounts.roles import CUSTOMER_ROLES, PARTNER_ROLES, Role
from kustos.accounts.services import operator_access, passwords, sessions
from kustos.audit import services as audit
from kustos.tenants.models import Customer, Partner


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def create(email: str, role: str, *, password: str | None = None, partner: Partner | None = None,
           customer: Customer | None = None, name: str = "", mailboxes: list[str] | None = None,
           actor: Any = None, one_time_password: bool = False) -> User:
    """Create a user (API, dashboard and CLI). A given password must pass the password rules;
    ``one_time_password`` makes the first sign-in choose a new one before anything else."""
    email = (email or "").strip().lower()
    if not email or "@" not in email:
        raise ValidationError("a valid e-mail address is required")
    if role not in Role.values:
        raise ValidationError(f"unknown role {role!r}; roles: {', '.join(Role.values)}")
    if User.objects.filter(email=email).exists():
        raise ValidationError(f"a user with e-mail {email} exists already")
    if role in PARTNER_ROLES and partner is None:
        raise ValidationError(f"role {role} needs a partner")
    if role in CUSTOMER_ROLES and customer is None:
        raise ValidationError(f"role {role} needs a customer")
    if password is not None:
        passwords.validate(password, User(email=email, name=name))
    if role in CUSTOMER_ROLES:
        partner = None
    if role == Role.OPERATOR:
        partner = customer = None
    if role == Role.AUDITOR:
        partner, grant_customer, customer = None, customer, None
    else:
        grant_customer = None
    with transaction.atomic():
        user = User.objects.create_user(email, password, role=role, partner=partner, customer=customer,
                                        name=name, mailboxes=[m.lower() for m in (mailboxes or [])],
                                        must_change_password=bool(password) and one_time_password)
        audit.record("user.create", actor=actor, customer=customer or grant_customer,
                     partner=partner or getattr(customer or grant_customer, "partner_id", ""),
                     target=user.id, detail={"email": email, "role": role})
        if grant_customer is not None:
            grant(user, grant_customer, expires_at=timezone.now() + timedelta(days=30), actor=actor)
        elif customer is not None:
            operator_access.record(actor, user, customer, via="user.create")
    return user


def grant(user: User, customer: Customer, *, expires_at: datetime, date_from: date | None = None,
          date_to: date | None = None, tax_relevant_only: bool = True, mailboxes: list[str] | None = None,
          actor: Any = None) -> AuditorGrant:
    if user.role != Role.AUDITOR:
        raise ValidationError("only auditors get customer grants")
    if expires_at <= timezone.now():
        raise ValidationError("the expiry must be in the future")
    obj, _ = AuditorGrant.objects.update_or_create(
        user=user, customer=customer,
        defaults={"expires_at": expires_at, "date_from": date_from, "date_to": date_to,
                  "tax_relevant_only": tax_relevant_only, "granted_by": getattr(actor, "email", str(actor or "")),
                  "mailboxes": sorted({m.strip().lower() for m in (mailboxes or []) if m.strip()}),
                  "revoked_at": None},
    )
    audit.record("auditor.grant", actor=actor, customer=customer, target=user.id,
                 detail={"expires_at": expires_at.isoformat(), "date_from": str(date_from or ""),
                         "date_to": str(date_to or ""), "tax_relevant_only": tax_relevant_only,
                         "mailboxes": obj.mailboxes})
    operator_access.record(actor, user, customer, via="auditor.grant")
    return obj


def change_role(user: User, role: str, *, actor: Any = None) -> User:
    if role not in Role.values:
        raise ValidationError(f"unknown role {role!r}")
    if role in PARTNER_ROLES and not user.partner_id:
        raise ValidationError(f"role {role} needs a partner")
    if role in CUSTOMER_ROLES and not user.customer_id:
        raise ValidationError(f"role {role} needs a customer")
    old = user.role
    user.role = role
    user.save(update_fields=["role"])
    audit.record("user.role_change", actor=actor, customer=user.customer, partner=user.partner_id or "",
                 target=user.id, detail={"from": old, "to": role})
    if role in CUSTOMER_ROLES and role != old:  # e.g. end user (own mailboxes) -> customer admin (all)
        operator_access.record(actor, user, user.customer, via="user.role_change")
    return user


def set_active(user: User, active: bool, *, actor: Any = None) -> User:
    """(De)activate; deactivation ends all of the user's sessions and API tokens."""
    was_active = user.is_active
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit.record("user.activate" if active else "user.deactivate", actor=actor, customer=user.customer,
                 partner=user.partner_id or "", target=user.id)
    if not active:
        sessions.end_all(user, reason="deactivated", actor=actor)
    elif not was_active and user.role in CUSTOMER_ROLES:
        operator_access.record(actor, user, user.customer, via="user.activate")
    return user


def set_password(user: User, password: str, *, actor: Any = None, one_time: bool = False) -> User:
    """An administrator sets ``user``'s password (rules apply; all sessions and tokens end).
    ``one_time`` forces the user to choose a new one at the next sign-in."""
    passwords.set_password(user, password, actor=actor, reason="password_set")
    if one_time:
        user.must_change_password = True
        user.save(update_fields=["must_change_password"])
    reached = [user.customer] if user.role in CUSTOMER_ROLES and user.customer is not None else []
    if user.role == Role.AUDITOR:
        reached = [g.customer for g in user.grants.select_related("customer") if g.active]
    for customer in reached:
        operator_access.record(actor, user, customer, via="user.set_password")
    return user


def delete(user: User, *, actor: Any = None) -> None:
    target, customer, partner = user.id, user.customer, user.partner_id or ""
    user.delete()
    audit.record("user.delete", actor=actor, customer=customer, partner=partner, target=target)
