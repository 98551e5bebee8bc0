"""What the sign-in page offers besides the password form: a button per enabled provider marked
"show on the sign-in page", and the e-mail-first field while any enabled provider routes e-mail domains.

The e-mail-first field is a form whose answer redirects to the provider; browsers apply the page's
Content-Security-Policy ``form-action`` to that redirect chain, so the sign-in page names the enabled
OpenID Connect providers' origins there (``form_action_origins``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from kustos.sso.models import IdentityProvider
from kustos.sso.services import providers


def options() -> dict[str, Any]:
    enabled = IdentityProvider.objects.filter(enabled=True, kind__in=providers.OIDC_KINDS).order_by("name", "id")
    rows = list(enabled.only("id", "name", "kind", "config"))
    return {
        "buttons": [{"id": p.id, "name": p.name, "kind": p.kind} for p in rows if (p.config or {}).get("show_on_login")],
        "discover": IdentityProvider.objects.filter(enabled=True).exists(),
    }


def form_action_origins() -> list[str]:
    """The origins (scheme://host[:port]) of the enabled OpenID Connect providers' discovery documents,
    where their sign-in pages live."""
    origins = set()
    for provider in IdentityProvider.objects.filter(enabled=True, kind__in=providers.OIDC_KINDS):
        try:
            parts = urlsplit(providers.discovery_url(provider))
        except providers.ProviderConfigError:
            continue
        if parts.scheme in ("http", "https") and parts.netloc:
            origins.add(f"{parts.scheme}://{parts.netloc}")
    return sorted(origins)


def content_security_policy(base: str) -> str | None:
    """``base`` (the installation's policy) with the providers' origins added to ``form-action``;
    ``None`` when no OpenID Connect provider is enabled (the base policy applies)."""
    origins = form_action_origins()
    if not origins:
        return None
    return base.replace("form-action 'self'", "form-action 'self' " + " ".join(origins))
