"""The sign-in policy of a partner (its staff) or a customer (its admins and end users): may its users
sign in with a local Kustos password, and how long a session lasts at most.

Local passwords can be turned off only while an enabled identity provider serves the same owner, and
the last enabled provider cannot be disabled or removed while they are off (nobody could sign in).

Break-glass: operators belong to no partner or customer, so no policy ever applies to them; the
first operator account (``kustos first-operator``) can always sign in with its local password and
turn local passwords back on for everyone.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from kustos.accounts.roles import CUSTOMER_ROLES, PARTNER_ROLES
from kustos.audit import services as audit
from kustos.sso.models import IdentityProvider, SignInPolicy
from kustos.tenants.models import Customer, Partner

DEFAULT_MAX_AGE_HOURS = 12
MAX_AGE_BOUNDS = (1, 24 * 30)

Owner = Partner | Customer


def owner_filter(owner: Owner) -> dict[str, Owner]:
    """``{"partner": p}`` or ``{"customer": c}``: the filter of everything belonging to ``owner``."""
    return {"customer": owner} if isinstance(owner, Customer) else {"partner": owner}


def audit_scope(owner: Owner) -> dict[str, Owner]:
    return owner_filter(owner)


def as_dict(owner: Owner) -> dict[str, Any]:
    row = SignInPolicy.objects.filter(**owner_filter(owner)).first()
    kind = "customer" if isinstance(owner, Customer) else "partner"
    return {
        "owner_kind": kind, "owner": owner.id,
        "local_passwords": True if row is None else row.local_passwords,
        "session_max_age_hours": DEFAULT_MAX_AGE_HOURS if row is None else row.session_max_age_hours,
        "enabled_providers": enabled_providers(owner),
        "updated_at": row.updated_at.isoformat() if row else None,
    }


def enabled_providers(owner: Owner) -> int:
    return IdentityProvider.objects.filter(enabled=True, **owner_filter(owner)).count()


def _parse_hours(value: Any) -> int:
    try:
        hours = int(value)
    except (TypeError, ValueError):
        raise ValidationError(f"session_max_age_hours: a whole number of hours, not {value!r}") from None
    low, high = MAX_AGE_BOUNDS
    if not low <= hours <= high:
        raise ValidationError(f"session_max_age_hours: between {low} and {high} hours, not {hours}")
    return hours


def update(owner: Owner, *, actor: Any, local_passwords: bool | None = None,
           session_max_age_hours: Any = None) -> dict[str, Any]:
    """Change the policy (only the values given); audited as ``sso.policy.update`` with before and after.
    Turning local passwords off needs an enabled identity provider of the same owner."""
    hours = None if session_max_age_hours in (None, "") else _parse_hours(session_max_age_hours)
    with transaction.atomic():
        before = as_dict(owner)
        if local_passwords is False and before["local_passwords"] and enabled_providers(owner) == 0:
            raise ValidationError("local passwords stay on until a single sign-on provider of this "
                                  f"{before['owner_kind']} is enabled (users could not sign in otherwise)")
        row, _ = SignInPolicy.objects.select_for_update().get_or_create(**owner_filter(owner))
        if local_passwords is not None:
            row.local_passwords = bool(local_passwords)
        if hours is not None:
            row.session_max_age_hours = hours
        row.save()
        after = as_dict(owner)
        keys = ("local_passwords", "session_max_age_hours")
        audit.record("sso.policy.update", actor=actor, **audit_scope(owner), target=owner.id,
                     detail={"before": {k: before[k] for k in keys}, "after": {k: after[k] for k in keys}})
    return after


def check_provider_removal(provider: IdentityProvider) -> None:
    """Refuse to disable or delete the last enabled provider of an owner whose local passwords are off."""
    owner = provider.customer or provider.partner
    row = SignInPolicy.objects.filter(**owner_filter(owner)).first()
    if row is None or row.local_passwords or not provider.enabled:
        return
    others = IdentityProvider.objects.filter(enabled=True, **owner_filter(owner)).exclude(id=provider.id)
    if not others.exists():
        raise ValidationError("this is the last enabled single sign-on provider and local passwords are off: "
                              "turn local passwords on first")


def policy_owner(user: Any) -> Owner | None:
    """Whose policy applies to ``user``: the customer of customer roles, the partner of partner roles;
    none for operators (the break-glass) and auditors."""
    role = getattr(user, "role", "")
    if role in CUSTOMER_ROLES and getattr(user, "customer_id", None):
        return user.customer
    if role in PARTNER_ROLES and getattr(user, "partner_id", None):
        return user.partner
    return None


#: Authentication backends that check a password at an identity provider (not a local password).
SSO_BACKENDS = ("kustos.sso.services.ldap_auth.LdapBackend",)


def password_allowed(user: Any, *, backend: str = "") -> bool:
    """May ``user`` sign in with the password just checked by ``backend``? An LDAP bind always;
    a local Kustos password unless its partner's or customer's policy turned local passwords off."""
    if backend in SSO_BACKENDS:
        return True
    owner = policy_owner(user)
    if owner is None:
        return True
    row = SignInPolicy.objects.filter(**owner_filter(owner)).first()
    return row is None or row.local_passwords


def session_max_age_seconds(user: Any) -> int | None:
    """The longest a session of ``user`` may last when its partner or customer set a policy
    (``None``: no policy, the installation's session lifetime applies)."""
    owner = policy_owner(user)
    row = SignInPolicy.objects.filter(**owner_filter(owner)).first() if owner is not None else None
    return None if row is None else int(row.session_max_age_hours) * 3600
