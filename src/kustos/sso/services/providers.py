"""Identity providers of a partner or a customer: create, change, remove, list; the sign-in policy.

The secret (OIDC client secret, LDAP bind password) is sealed at rest with ``core.secrets``, bound
to the provider id, and never returned. Every change is written to the audit log.
"""

from __future__ import annotations

from typing import Any

from kustos.accounts.roles import CUSTOMER_ROLES, PARTNER_ROLES
from kustos.audit import services as audit
from kustos.core.secrets import open_secret, seal_secret
from kustos.sso.models import IdentityProvider, SignInPolicy
from kustos.tenants.models import Customer, Partner

KINDS = {k.value for k in IdentityProvider.Kind}
OIDC_KINDS = {"entra", "google", "oidc"}
ENTRA_DISCOVERY = "https://login.microsoftonline.com/organizations/v2.0/.well-known/openid-configuration"
GOOGLE_DISCOVERY = "https://accounts.google.com/.well-known/openid-configuration"


class ProviderConfigError(ValueError):
    """A provider's settings are not valid (one line naming the problem)."""


def roles_for(provider: IdentityProvider) -> set[str]:
    """The Kustos roles a provider of this owner may give."""
    return {str(r) for r in (PARTNER_ROLES if provider.partner_id else CUSTOMER_ROLES)}


def discovery_url(provider: IdentityProvider) -> str:
    url = str(provider.config.get("discovery_url") or "")
    if url:
        return url
    if provider.kind == "entra":
        return ENTRA_DISCOVERY
    if provider.kind == "google":
        return GOOGLE_DISCOVERY
    raise ProviderConfigError(f"provider {provider.id} has no discovery_url")


def check(provider: IdentityProvider) -> None:
    """Raise ProviderConfigError when the provider's settings cannot work."""
    if provider.kind not in KINDS:
        raise ProviderConfigError(f"kind must be one of {', '.join(sorted(KINDS))}, not {provider.kind!r}")
    if bool(provider.partner_id) == bool(provider.customer_id):
        raise ProviderConfigError("a provider belongs to exactly one partner or one customer")
    cfg = provider.config
    if not isinstance(cfg, dict):
        raise ProviderConfigError("config must be a JSON object")
    if provider.kind in OIDC_KINDS and not cfg.get("client_id"):
        raise ProviderConfigError("client_id is required")
    if provider.kind == "oidc" and not cfg.get("discovery_url"):
        raise ProviderConfigError("discovery_url is required for a generic OpenID Connect provider")
    allowed = roles_for(provider)
    default = cfg.get("default_role") or ""
    if default and default not in allowed:
        raise ProviderConfigError(f"default_role must be one of {', '.join(sorted(allowed))}, not {default!r}")
    for row in cfg.get("role_map") or []:
        if not isinstance(row, dict) or not row.get("group") or row.get("role") not in allowed:
            raise ProviderConfigError(f"role_map rows are {{group, role}} with role in {', '.join(sorted(allowed))}:"
                                      f" {row!r}")
    for key in ("tenant_ids", "email_domains"):
        if not isinstance(cfg.get(key, []), list):
            raise ProviderConfigError(f"{key} must be a list")


def _owner(owner: Partner | Customer) -> dict[str, Any]:
    return {"partner": owner} if isinstance(owner, Partner) else {"customer": owner}


def _audit_owner(provider: IdentityProvider) -> dict[str, Any]:
    return {"customer": provider.customer} if provider.customer_id else {"partner": provider.partner_id}


def create(owner: Partner | Customer, *, kind: str, name: str, config: dict[str, Any], secret: str = "",
           enabled: bool = True, actor: Any = None) -> IdentityProvider:
    provider = IdentityProvider(kind=kind, name=name or kind, config=dict(config or {}), enabled=enabled,
                                **_owner(owner))
    check(provider)
    provider.secret_sealed = seal_secret(secret, provider.owner_ref)
    provider.save()
    audit.record("sso.provider.create", actor=actor, target=provider.id,
                 detail={"kind": kind, "name": provider.name}, **_audit_owner(provider))
    return provider


def update(provider: IdentityProvider, *, name: str | None = None, config: dict[str, Any] | None = None,
           secret: str | None = None, enabled: bool | None = None, actor: Any = None) -> IdentityProvider:
    changed = []
    if name is not None:
        provider.name, changed = name, [*changed, "name"]
    if config is not None:
        provider.config, changed = dict(config), [*changed, "config"]
    if enabled is not None:
        provider.enabled, changed = enabled, [*changed, "enabled"]
    check(provider)
    if secret is not None:
        provider.secret_sealed, changed = seal_secret(secret, provider.owner_ref), [*changed, "secret"]
    provider.save()
    audit.record("sso.provider.update", actor=actor, target=provider.id, detail={"changed": changed},
                 **_audit_owner(provider))
    return provider


def remove(provider: IdentityProvider, *, actor: Any = None) -> None:
    owner = _audit_owner(provider)
    pid = provider.id
    provider.delete()
    audit.record("sso.provider.remove", actor=actor, target=pid, **owner)


def get(provider_id: str) -> IdentityProvider | None:
    return IdentityProvider.objects.select_related("partner", "customer").filter(id=provider_id).first()


def list_for(owner: Partner | Customer) -> list[IdentityProvider]:
    return list(IdentityProvider.objects.filter(**_owner(owner)))


def secret(provider: IdentityProvider) -> str:
    return open_secret(provider.secret_sealed, provider.owner_ref)


def public(provider: IdentityProvider) -> dict[str, Any]:
    """What the API and CLI show (never the secret)."""
    return {"id": provider.id, "kind": provider.kind, "name": provider.name, "enabled": provider.enabled,
            "partner": provider.partner_id or None, "customer": provider.customer_id or None,
            "config": provider.config, "has_secret": bool(provider.secret_sealed),
            "created_at": provider.created_at.isoformat() if provider.created_at else None,
            "updated_at": provider.updated_at.isoformat() if provider.updated_at else None}


def for_email(email: str) -> IdentityProvider | None:
    """The enabled provider whose ``email_domains`` contain the address's domain (email-first routing)."""
    domain = email.rpartition("@")[2].strip().lower()
    if not domain:
        return None
    for provider in IdentityProvider.objects.filter(enabled=True).order_by("created_at"):
        if domain in {str(d).lower() for d in provider.config.get("email_domains") or []}:
            return provider
    return None


def policy_for(*, partner: Any = None, customer: Any = None) -> SignInPolicy:
    """The owner's policy (an unsaved default when none was set)."""
    found = SignInPolicy.objects.filter(customer=customer).first() if customer else (
        SignInPolicy.objects.filter(partner=partner).first() if partner else None)
    return found or SignInPolicy(partner=None if customer else partner, customer=customer)


def set_policy(owner: Partner | Customer, *, local_passwords: bool | None = None,
               session_max_age_hours: int | None = None, actor: Any = None) -> SignInPolicy:
    policy, _ = SignInPolicy.objects.get_or_create(**_owner(owner))
    if local_passwords is not None:
        policy.local_passwords = local_passwords
    if session_max_age_hours is not None:
        if not 1 <= session_max_age_hours <= 24 * 30:
            raise ProviderConfigError("session_max_age_hours must be between 1 and 720")
        policy.session_max_age_hours = session_max_age_hours
    policy.save()
    audit.record("sso.policy.update", actor=actor, target=str(policy.pk),
                 detail={"local_passwords": policy.local_passwords,
                         "session_max_age_hours": policy.session_max_age_hours}, **_owner(owner))
    return policy
