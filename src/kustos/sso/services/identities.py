"""From a verified identity at a provider to a Kustos user: match, create, role, mailboxes, audit.

Shared by the OIDC flow and LDAP sign-in. A user is matched by the provider-verified e-mail address
(the first of ``addresses``) only within the provider's own partner or customer; never across
tenants. With a ``role_map`` the provider's groups decide the role at every sign-in (a user no
longer in a mapped group falls back to ``default_role`` or, without one, loses access: the account
is deactivated and its sessions end). A customer user's mailboxes are the addresses the provider
reports: the ones it reported last time are replaced, those an admin assigned are kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kustos.accounts.models import User
from kustos.accounts.roles import CUSTOMER_ROLES, PARTNER_ROLES, Role
from kustos.accounts.services import sessions
from kustos.audit import services as audit
from kustos.sso.models import ExternalIdentity, IdentityProvider
from kustos.sso.services.errors import NotAllowed, SsoError
from kustos.sso.services.providers import roles_for

# Most privileged first: a user in several mapped groups gets the first of these.
ROLE_ORDER = [Role.PARTNER_ADMIN, Role.PARTNER_TECH, Role.CUSTOMER_ADMIN, Role.END_USER]


def _owner(provider: IdentityProvider) -> dict[str, Any]:
    return {"customer": provider.customer} if provider.customer_id else {"partner": provider.partner_id}


def record_failure(provider: IdentityProvider | None, error: SsoError, *, email: str = "", ip: str = "") -> None:
    """One audit event per refused sign-in, with the reason (never a token or password)."""
    audit.record("sso.sign_in_failed", actor="anonymous", outcome="failed", ip=ip,
                 target=getattr(provider, "id", ""), detail={"reason": error.reason, "message": str(error),
                                                             "email": email},
                 **(_owner(provider) if provider is not None else {}))


def normalise(addresses: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for address in addresses:
        a = str(address or "").strip().lower()
        if a and "@" in a and a not in seen:
            seen.append(a)
    return seen


def mapped_role(provider: IdentityProvider, groups: Iterable[str]) -> str:
    """The most privileged role the groups give, else the default role, else ''."""
    allowed = roles_for(provider)
    member = {str(g).lower() for g in groups or []}
    given = {row["role"] for row in provider.config.get("role_map") or []
             if str(row.get("group", "")).lower() in member and row.get("role") in allowed}
    for role in ROLE_ORDER:
        if role in given:
            return str(role)
    default = provider.config.get("default_role") or ""
    return default if default in allowed else ""


def _in_scope(provider: IdentityProvider, user: User) -> bool:
    if provider.partner_id:
        return user.partner_id == provider.partner_id and user.role in PARTNER_ROLES
    return user.customer_id == provider.customer_id and user.role in CUSTOMER_ROLES


def _fail(provider: IdentityProvider, error: SsoError, email: str, ip: str) -> SsoError:
    record_failure(provider, error, email=email, ip=ip)
    return error


def sign_in(provider: IdentityProvider, claims: dict[str, Any], addresses: Iterable[str], mfa: bool, *,
            ip: str = "") -> User:
    """The Kustos user for a verified identity (``claims``: sub, name, groups; ``addresses``: the
    verified e-mail addresses the provider reports, primary first). Raises NotAllowed (recorded)."""
    boxes = normalise(addresses)
    if not boxes:
        raise _fail(provider, NotAllowed(_("The provider reported no verified e-mail address for this account."),
                                         reason="no_email"), "", ip)
    email = boxes[0]
    subject = str(claims.get("sub") or email)
    identity = ExternalIdentity.objects.select_related("user").filter(provider=provider, subject=subject).first()
    user = identity.user if identity else User.objects.filter(email__iexact=email).first()
    if user is not None and not _in_scope(provider, user):
        raise _fail(provider, NotAllowed(_("%(email)s belongs to another organisation; it cannot sign in here.") % {"email": email},
                                         reason="other_tenant"), email, ip)
    if provider.config.get("role_map"):
        role = mapped_role(provider, claims.get("groups") or [])  # the groups decide, at every sign-in
    elif user is not None:
        role = user.role  # no mapping configured: an existing user keeps the role an admin gave
    else:
        role = mapped_role(provider, [])  # the default role of a new user
    if user is None:
        user = _create(provider, email, str(claims.get("name") or ""), role, ip)
    elif not role:
        _revoke(provider, user, identity, subject, ip)
        raise _fail(provider, NotAllowed(_("%(email)s is in no group that gives a Kustos role here; access removed.")
                                         % {"email": email},
                                         reason="no_role"), email, ip)
    elif not user.is_active:
        if identity is None or identity.role:  # deactivated by an admin, not by a removed group
            raise _fail(provider, NotAllowed(_("The Kustos account %(email)s is deactivated.") % {"email": email},
                                             reason="deactivated"), email, ip)
        user.is_active = True
    with transaction.atomic():
        if user.role != role:
            audit.record("sso.role_change", actor="system", target=user.id, ip=ip,
                         detail={"provider": provider.id, "email": user.email, "from": user.role, "to": role},
                         **_owner(provider))
            user.role = role
        if provider.customer_id:
            previous = set(identity.addresses) if identity else set()
            kept = [m for m in normalise(user.mailboxes or []) if m not in previous]
            user.mailboxes = kept + [b for b in boxes if b not in kept]
        if claims.get("name") and not user.name:
            user.name = str(claims["name"])[:200]
        user.save()
        if identity is None:
            identity = ExternalIdentity(provider=provider, user=user, subject=subject)
        identity.addresses, identity.role, identity.last_sign_in = boxes, role, timezone.now()
        identity.save()
    audit.record("sso.sign_in", actor=user, target=provider.id, ip=ip,
                 detail={"provider": provider.id, "kind": provider.kind, "role": role, "mfa": bool(mfa),
                         "mailboxes": len(boxes) if provider.customer_id else 0}, **_owner(provider))
    return user


def _create(provider: IdentityProvider, email: str, name: str, role: str, ip: str) -> User:
    if not provider.config.get("create_users"):
        raise _fail(provider, NotAllowed(_("There is no Kustos account for %(email)s, and this provider does not create "
                                           "accounts.") % {"email": email}, reason="unknown_user"), email, ip)
    if not role:
        raise _fail(provider, NotAllowed(_("%(email)s is in no group that gives a Kustos role here.") % {"email": email},
                                         reason="no_role"), email, ip)
    owner = {"partner_id": provider.partner_id} if provider.partner_id else {"customer_id": provider.customer_id}
    user = User.objects.create_user(email, None, name=name[:200], role=role, **owner)
    audit.record("sso.user_created", actor="system", target=user.id, ip=ip,
                 detail={"provider": provider.id, "email": email, "role": role}, **_owner(provider))
    return user


def _revoke(provider: IdentityProvider, user: User, identity: ExternalIdentity | None, subject: str,
            ip: str) -> None:
    """The provider no longer gives this user a role: deactivate, end sessions, record the change."""
    if user.is_active:
        audit.record("sso.role_change", actor="system", target=user.id, ip=ip,
                     detail={"provider": provider.id, "email": user.email, "from": user.role, "to": None},
                     **_owner(provider))
        user.is_active = False
        user.save(update_fields=["is_active"])
        sessions.end_all(user, reason="sso_role_removed", actor="system")
    if identity is not None:
        identity.role = ""
        identity.save(update_fields=["role"])
    else:
        ExternalIdentity.objects.create(provider=provider, user=user, subject=subject, role="")

