"""The "test connection" of an identity provider, without signing anyone in.

OpenID Connect: fetch the discovery document (issuer, endpoints) and the JWKS it names, and report
what was found. LDAP: bind with the service account through ``kustos.sso.services.ldap_auth``. Outbound requests go through
the sources' egress policy. The result is audited as ``sso.provider.test``; nothing secret is in it.
"""

from __future__ import annotations

from typing import Any

import httpx

from kustos.audit import services as audit
from kustos.core.egress import egress_policy
from kustos.sources.http import EgressTransport
from kustos.sso.models import IdentityProvider
from kustos.sso.services import ldap_auth, providers

TIMEOUT_SECONDS = 10
_REQUIRED_METADATA = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")


def _get_json(client: httpx.Client, url: str) -> dict[str, Any]:
    resp = client.get(url)
    if resp.status_code != 200:
        raise ValueError(f"{url} answered HTTP {resp.status_code}")
    try:
        data = resp.json()
    except ValueError:
        raise ValueError(f"{url} did not answer JSON") from None
    if not isinstance(data, dict):
        raise ValueError(f"{url} did not answer a JSON object")
    return data


def _test_oidc(provider: IdentityProvider) -> dict[str, Any]:
    try:
        url = providers.discovery_url(provider)
    except providers.ProviderConfigError as exc:
        return {"ok": False, "message": str(exc)}
    try:
        with httpx.Client(transport=EgressTransport(egress_policy()), timeout=TIMEOUT_SECONDS,
                          follow_redirects=False) as client:
            meta = _get_json(client, url)
            missing = [k for k in _REQUIRED_METADATA if not meta.get(k)]
            if missing:
                return {"ok": False, "discovery_url": url,
                        "message": f"the discovery document lacks {', '.join(missing)}"}
            jwks = _get_json(client, str(meta["jwks_uri"]))
    except (httpx.HTTPError, ValueError, OSError) as exc:
        return {"ok": False, "discovery_url": url, "message": f"cannot reach the provider: {exc}"}
    keys = [k for k in jwks.get("keys", []) if isinstance(k, dict)]
    if not keys:
        return {"ok": False, "discovery_url": url, "issuer": meta["issuer"],
                "message": "the provider publishes no signing keys"}
    return {"ok": True, "discovery_url": url, "issuer": meta["issuer"],
            "authorization_endpoint": meta["authorization_endpoint"], "token_endpoint": meta["token_endpoint"],
            "jwks_uri": meta["jwks_uri"], "keys": len(keys),
            "key_ids": [str(k.get("kid", "")) for k in keys],
            "message": f"discovery document and {len(keys)} signing key(s) found"}


def _test_ldap(provider: IdentityProvider) -> dict[str, Any]:
    """Bind with the service account (``ldap_auth.test_connection``: TLS, bind, search base)."""
    result = ldap_auth.test_connection(provider)
    return {"ok": bool(result.get("ok")), **result}


def run(provider: IdentityProvider, *, actor: Any) -> dict[str, Any]:
    result = _test_ldap(provider) if provider.kind == "ldap" else _test_oidc(provider)
    result = {"provider": provider.id, "kind": provider.kind, **result}
    audit.record("sso.provider.test", actor=actor, customer=provider.customer_id or None,
                 partner=provider.partner_id or None, target=provider.id,
                 outcome="ok" if result.get("ok") else "failed", detail={"message": result.get("message", "")})
    return result
