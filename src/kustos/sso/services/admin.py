"""Managing a partner's or a customer's identity providers: list, add, change, enable/disable, remove.

Who may: the roles that manage users (``Perm.USER_MANAGE``: operators, partner admins for their partner
and its customers, customer admins for their customer); outside the caller's scope a partner, customer
or provider is 404 (``accounts.access``). The dashboard, the REST API and the CLI call these functions.

``config`` takes only the keys of the provider's kind (``FIELDS``); the client secret or LDAP bind
password is write-only: sealed at rest (``core.secrets``, bound to the provider id), never returned, an
empty value keeps the stored one. Every change is audited by ``sso.services.providers`` (without the secret).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.accounts.roles import CUSTOMER_ROLES, PARTNER_ROLES
from kustos.sso.models import IdentityProvider
from kustos.sso.services import providers, signin_policy
from kustos.tenants.models import Customer, Partner

KINDS = tuple(IdentityProvider.Kind.values)
OIDC_KINDS = ("entra", "google", "oidc")
_COMMON = ("show_on_login", "create_users", "default_role", "role_map", "email_domains")
_OIDC = ("client_id", "discovery_url")
#: The config keys each kind takes (anything else is refused with its name).
FIELDS: dict[str, tuple[str, ...]] = {
    "entra": _COMMON + _OIDC + ("tenant_ids", "graph_url"),
    "google": _COMMON + _OIDC + ("hosted_domain",),
    "oidc": _COMMON + _OIDC,
    "ldap": _COMMON + ("url", "start_tls", "search_base", "user_filter", "bind_dn", "group_base",
                       "group_filter", "email_attribute", "ca_file", "timeout_seconds"),
}
_BOOLS = {"show_on_login", "create_users", "start_tls"}
_LISTS = {"email_domains", "tenant_ids"}
_INTS = {"timeout_seconds"}
#: Keys the kind cannot work without.
REQUIRED: dict[str, tuple[str, ...]] = {
    "entra": ("client_id",), "google": ("client_id",), "oidc": ("client_id", "discovery_url"),
    "ldap": ("url", "search_base"),
}

Owner = Partner | Customer


# --- scope ------------------------------------------------------------------------------------

def partner_as(user: Any, partner_id: str) -> Partner:
    return access.get_partner(user, partner_id, Perm.USER_MANAGE)


def customer_as(user: Any, customer_id: str) -> Customer:
    return access.get_customer(user, customer_id, Perm.USER_MANAGE)


def owner_as(user: Any, *, partner_id: str = "", customer_id: str = "") -> Owner:
    if bool(partner_id) == bool(customer_id):
        raise ValidationError("name either a partner or a customer")
    return partner_as(user, partner_id) if partner_id else customer_as(user, customer_id)


def home_url(user: Any) -> str:
    """Where a user who manages sign-in starts: its customer's or partner's SSO page; operators the
    partner list (403 for roles that do not manage users)."""
    access.require(user, Perm.USER_MANAGE)
    if user.customer_id:
        return f"/customers/{user.customer_id}/sso/"
    if user.partner_id:
        return f"/partners/{user.partner_id}/sso/"
    return "/partners/"


def get_as(user: Any, provider_id: str) -> IdentityProvider:
    """The provider if ``user`` may manage its owner (404 outside the scope, 403 for other roles)."""
    provider = IdentityProvider.objects.select_related("partner", "customer").filter(id=provider_id).first()
    if provider is None:
        raise Http404("no such identity provider")
    if provider.customer_id:
        access.get_customer(user, provider.customer_id, Perm.USER_MANAGE)
    else:
        access.get_partner(user, provider.partner_id, Perm.USER_MANAGE)
    return provider


def get(provider_id: str) -> IdentityProvider:
    """Any provider (the CLI's installation authority)."""
    provider = IdentityProvider.objects.select_related("partner", "customer").filter(id=provider_id).first()
    if provider is None:
        raise Http404(f"no identity provider with id {provider_id!r}")
    return provider


def list_for(owner: Owner) -> QuerySet[IdentityProvider]:
    return IdentityProvider.objects.filter(**signin_policy.owner_filter(owner)).order_by("name", "id")


# --- shape ------------------------------------------------------------------------------------

def as_dict(provider: IdentityProvider) -> dict[str, Any]:
    """The provider as shown by the API and the CLI: never the secret, only whether one is stored."""
    return {
        "id": provider.id, "kind": provider.kind, "name": provider.name, "enabled": provider.enabled,
        "owner_kind": "customer" if provider.customer_id else "partner",
        "owner": provider.customer_id or provider.partner_id,
        "config": dict(provider.config or {}), "secret_set": bool(provider.secret_sealed),
        "created_at": provider.created_at.isoformat() if provider.created_at else None,
        "updated_at": provider.updated_at.isoformat() if provider.updated_at else None,
    }


def _as_list(name: str, value: Any) -> list[str]:
    if value is None or value == "":
        return []
    items = value.replace(",", "\n").splitlines() if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise ValidationError(f"{name}: a list of values, not {value!r}")
    return [str(v).strip().lower() if name == "email_domains" else str(v).strip() for v in items if str(v).strip()]


def _as_bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in ("1", "true", "on", "yes"):
        return True
    if word in ("", "0", "false", "off", "no"):
        return False
    raise ValidationError(f"{name}: use true or false, not {value!r}")


def _role_map(value: Any, allowed: set[str]) -> list[dict[str, str]]:
    """``[{"group": g, "role": r}]``, also from text lines ``group=role``."""
    if value in (None, ""):
        return []
    if isinstance(value, str):
        rows = []
        for line in value.splitlines():
            if not line.strip():
                continue
            group, sep, role = line.rpartition("=")
            if not sep or not group.strip():
                raise ValidationError(f"role_map: write one 'group=role' per line, not {line.strip()!r}")
            rows.append({"group": group.strip(), "role": role.strip()})
        value = rows
    if not isinstance(value, list):
        raise ValidationError("role_map: a list of {group, role}")
    out = []
    for row in value:
        if not isinstance(row, dict) or not str(row.get("group", "")).strip():
            raise ValidationError(f"role_map: each entry needs a group, not {row!r}")
        role = str(row.get("role", "")).strip()
        if role not in allowed:
            raise ValidationError(f"role_map: role {role!r} is not one of {', '.join(sorted(allowed))}")
        out.append({"group": str(row["group"]).strip(), "role": role})
    return out


def roles_for(owner: Owner) -> set[str]:
    """The roles a provider of ``owner`` may give: partner staff roles or customer roles."""
    return {str(r) for r in (CUSTOMER_ROLES if isinstance(owner, Customer) else PARTNER_ROLES)}


def clean_config(kind: str, owner: Owner, config: dict[str, Any]) -> dict[str, Any]:
    """Validate ``config`` for ``kind``: known keys only, types, roles of the owner, required keys."""
    if kind not in KINDS:
        raise ValidationError(f"kind: one of {', '.join(KINDS)}, not {kind!r}")
    allowed = FIELDS[kind]
    unknown = sorted(set(config) - set(allowed))
    if unknown:
        raise ValidationError(f"config: {unknown[0]!r} is not a setting of a {kind} provider; "
                              f"known: {', '.join(allowed)}")
    roles = roles_for(owner)
    out: dict[str, Any] = {}
    for key, value in config.items():
        if key in _BOOLS:
            out[key] = _as_bool(key, value)
        elif key in _LISTS:
            out[key] = _as_list(key, value)
        elif key == "role_map":
            out[key] = _role_map(value, roles)
        elif key in _INTS:
            try:
                out[key] = int(value)
            except (TypeError, ValueError):
                raise ValidationError(f"{key}: a whole number, not {value!r}") from None
        elif key == "default_role":
            role = str(value or "").strip()
            if role and role not in roles:
                raise ValidationError(f"default_role: one of {', '.join(sorted(roles))}, not {role!r}")
            out[key] = role
        else:
            out[key] = str(value or "").strip()
    for key in ("discovery_url", "graph_url"):
        if out.get(key) and not out[key].startswith(("https://", "http://")):
            raise ValidationError(f"{key}: an http(s) URL, not {out[key]!r}")
    if kind == "ldap" and out.get("url") and not out["url"].startswith(("ldap://", "ldaps://")):
        raise ValidationError(f"url: an ldap:// or ldaps:// URL, not {out['url']!r}")
    for domain in out.get("email_domains", []):
        if "." not in domain or "@" in domain or " " in domain:
            raise ValidationError(f"email_domains: {domain!r} is not a domain name")
    return out


def _check_required(provider: IdentityProvider) -> None:
    missing = [k for k in REQUIRED[provider.kind] if not (provider.config or {}).get(k)]
    if missing:
        raise ValidationError(f"a provider of kind {provider.kind} needs {', '.join(missing)}")


def _domains_taken(provider: IdentityProvider) -> None:
    """An e-mail domain routes to one enabled provider only (e-mail-first sign-in)."""
    domains = set((provider.config or {}).get("email_domains") or [])
    if not domains or not provider.enabled:
        return
    for other in IdentityProvider.objects.filter(enabled=True).exclude(id=provider.id):
        clash = domains & set((other.config or {}).get("email_domains") or [])
        if clash:
            raise ValidationError(f"email_domains: {sorted(clash)[0]} already signs in with another provider")


@contextmanager
def _config_errors() -> Iterator[None]:
    """The provider service's config errors as validation errors (one line, 422 / exit 1)."""
    try:
        yield
    except providers.ProviderConfigError as exc:
        raise ValidationError(str(exc)) from None


# --- changes ----------------------------------------------------------------------------------

def create(owner: Owner, *, kind: str, name: str, config: dict[str, Any] | None = None, secret: str = "",
           enabled: bool = True, actor: Any) -> IdentityProvider:
    name = (name or "").strip()
    if not name:
        raise ValidationError("name: give the provider a name (shown on the sign-in page)")
    cleaned = clean_config(kind, owner, dict(config or {}))
    probe = IdentityProvider(kind=kind, name=name[:200], enabled=bool(enabled), config=cleaned,
                             **signin_policy.owner_filter(owner))
    _check_required(probe)
    _domains_taken(probe)
    with transaction.atomic(), _config_errors():
        return providers.create(owner, kind=kind, name=name[:200], config=cleaned, secret=secret or "",
                                enabled=bool(enabled), actor=actor)


def update(provider: IdentityProvider, *, actor: Any, name: str | None = None, config: dict[str, Any] | None = None,
           secret: str | None = None, enabled: bool | None = None) -> IdentityProvider:
    """Change what is given: ``config`` keys replace the stored ones (a ``null`` value removes one);
    an empty or missing secret keeps the stored secret. Disabling the last enabled provider of an owner
    whose local passwords are off is refused."""
    owner = provider.customer or provider.partner
    with transaction.atomic():
        provider = IdentityProvider.objects.select_for_update(of=("self",)).select_related("partner", "customer").get(
            id=provider.id)
        if enabled is False and provider.enabled:
            signin_policy.check_provider_removal(provider)
        if name is not None and not name.strip():
            raise ValidationError("name: give the provider a name (shown on the sign-in page)")
        merged = None
        if config is not None:
            merged = {**(provider.config or {}), **{k: v for k, v in config.items() if v is not None}}
            for key in [k for k, v in config.items() if v is None]:
                merged.pop(key, None)
            merged = clean_config(provider.kind, owner, merged)
        probe = IdentityProvider(id=provider.id, kind=provider.kind,
                                 enabled=provider.enabled if enabled is None else bool(enabled),
                                 config=merged if merged is not None else provider.config)
        _check_required(probe)
        _domains_taken(probe)
        with _config_errors():
            return providers.update(provider, name=name.strip()[:200] if name is not None else None, config=merged,
                                    secret=secret or None, enabled=enabled, actor=actor)


def delete(provider: IdentityProvider, *, actor: Any) -> dict[str, Any]:
    """Remove the provider (refused for the last enabled one while local passwords are off)."""
    with transaction.atomic():
        signin_policy.check_provider_removal(provider)
        pid = provider.id
        providers.remove(provider, actor=actor)
    return {"id": pid, "deleted": True}
