"""The OpenID Connect authorization code flow with PKCE (authlib), for Entra ID, Google and any
provider found by discovery.

``start`` stores state, nonce and the PKCE verifier in the session (keyed by state) and returns the
provider's authorize URL. ``finish`` takes that entry out of the session (so a state works once),
redeems the code, verifies the ID token against the provider's JWKS (authlib + joserfc: signature,
``iss``, ``aud``, ``exp``/``nbf``/``iat`` with bounded clock skew, nonce) and the tenant / domain
/ e-mail rules, collects the verified addresses (Entra: Graph ``/me`` with the delegated token) and
hands the identity to ``identities.sign_in``. The discovery document and the JWKS come from
``metadata_cache`` (fetched once an hour; the keys again when a token names an unknown one).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.django_client import DjangoIntegration, DjangoOAuth2App
from django.http import HttpRequest
from django.utils.translation import gettext as _
from joserfc.errors import ClaimError, ExpiredTokenError, InvalidKeyIdError, JoseError

from kustos.accounts.models import User
from kustos.sso.models import IdentityProvider
from kustos.sso.services import identities, metadata_cache, providers
from kustos.sso.services.errors import (
    InvalidState,
    InvalidToken,
    NotAllowed,
    ProviderRefused,
    ProviderUnavailable,
    SsoError,
)

SESSION_KEY = "sso_flows"
CLOCK_SKEW = 120  # seconds of leeway for exp / nbf / iat
FLOW_MAX_AGE = 600  # seconds a started sign-in may take at the provider
HTTP_TIMEOUT = 15
GRAPH = "https://graph.microsoft.com"
TENANT_PLACEHOLDER = "{tenantid}"


@dataclass
class Result:
    user: User
    provider: IdentityProvider
    mfa: bool
    next: str


class _CachedApp(DjangoOAuth2App):
    """authlib's client, with the discovery document and the keys from ``metadata_cache``."""

    def __init__(self, *args: Any, discovery_url: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.discovery_url = discovery_url

    def load_server_metadata(self) -> dict[str, Any]:
        if "_loaded_at" not in self.server_metadata:
            self.server_metadata.update(metadata_cache.CACHE.discovery(self.discovery_url, timeout=HTTP_TIMEOUT))
            self.server_metadata["_loaded_at"] = time.time()
        return self.server_metadata

    def fetch_jwk_set(self, force: bool = False) -> dict[str, Any]:
        """authlib asks with ``force`` when the token's key is not in the set (rate-limited in the cache)."""
        uri = str(self.load_server_metadata()["jwks_uri"])
        return metadata_cache.CACHE.jwks(uri, timeout=HTTP_TIMEOUT, refresh=force)


def _why(exc: Exception) -> str:
    return str(exc) if isinstance(exc, metadata_cache.MetadataError) else type(exc).__name__


def _app(provider: IdentityProvider) -> DjangoOAuth2App:
    if provider.kind not in providers.OIDC_KINDS:
        raise ProviderUnavailable(_("%(name)s is not an OpenID Connect provider.") % {"name": provider.name})
    try:
        url = providers.discovery_url(provider)
    except providers.ProviderConfigError as exc:
        raise ProviderUnavailable(str(exc)) from None
    return _CachedApp(DjangoIntegration(provider.id), name=provider.id, discovery_url=url,
                      client_id=provider.config.get("client_id"), client_secret=providers.secret(provider),
                      client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256",
                                     "default_timeout": HTTP_TIMEOUT})


def _metadata(app: DjangoOAuth2App, provider: IdentityProvider) -> dict[str, Any]:
    try:
        return app.load_server_metadata()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable(_("%(name)s: the discovery document could not be read (%(error)s).")
                                  % {"name": provider.name, "error": _why(exc)}) from None


def start(provider: IdentityProvider, request: HttpRequest, *, redirect_uri: str, next_url: str = "/",
          login_hint: str = "", ip: str = "") -> str:
    """The provider's authorize URL for a new sign-in (state, nonce, PKCE verifier kept in the session).
    Raises an SsoError (already recorded in the audit log)."""
    try:
        if not provider.enabled:
            raise ProviderUnavailable(_("%(name)s is disabled.") % {"name": provider.name})
        app = _app(provider)
        _metadata(app, provider)
    except SsoError as error:
        identities.record_failure(provider, error, ip=ip)
        raise
    extra: dict[str, Any] = {}
    if login_hint:
        extra["login_hint"] = login_hint
    if provider.kind == "google" and provider.config.get("hosted_domain"):
        extra["hd"] = provider.config["hosted_domain"]
    rv = app.create_authorization_url(redirect_uri, **extra)
    flows = {k: v for k, v in request.session.get(SESSION_KEY, {}).items()
             if v.get("at", 0) > time.time() - FLOW_MAX_AGE}
    flows[rv["state"]] = {"provider": provider.id, "nonce": rv.get("nonce", ""),
                          "code_verifier": rv.get("code_verifier", ""), "redirect_uri": redirect_uri,
                          "next": next_url, "at": time.time()}
    request.session[SESSION_KEY] = flows
    return str(rv["url"])


def finish(request: HttpRequest, *, ip: str = "") -> Result:
    """Complete the sign-in at the callback. Raises an SsoError (already recorded in the audit log)."""
    provider = None
    try:
        flow = _take_flow(request)
        provider = providers.get(flow["provider"])
        if provider is None or not provider.enabled:
            raise ProviderUnavailable(_("The sign-in provider was removed or disabled."))
        if request.GET.get("error"):
            raise ProviderRefused(_("%(name)s refused the sign-in: %(error)s") % {
                "name": provider.name, "error": request.GET.get("error", "")[:200]})
        app = _app(provider)
        metadata = _metadata(app, provider)
        token = _redeem(app, provider, flow, request.GET.get("code", ""))
        claims = _verify(app, provider, metadata, token, flow["nonce"])
        addresses = _addresses(provider, claims, token)
    except SsoError as error:
        identities.record_failure(provider, error, ip=ip)
        raise
    mfa = "mfa" in (claims.get("amr") or [])
    user = identities.sign_in(provider, dict(claims), addresses, mfa, ip=ip)
    return Result(user=user, provider=provider, mfa=mfa, next=flow.get("next") or "/")


def _take_flow(request: HttpRequest) -> dict[str, Any]:
    state = request.GET.get("state", "")
    flows = dict(request.session.get(SESSION_KEY, {}))
    flow = flows.pop(state, None) if state else None
    request.session[SESSION_KEY] = flows
    request.session.save()
    if flow is None:
        raise InvalidState(_("This sign-in link is unknown or was already used; start the sign-in again."))
    if flow.get("at", 0) < time.time() - FLOW_MAX_AGE:
        raise InvalidState(_("The sign-in took too long; start it again."), reason="state_expired")
    return flow


def _redeem(app: DjangoOAuth2App, provider: IdentityProvider, flow: dict[str, Any], code: str) -> dict[str, Any]:
    if not code:
        raise ProviderRefused(_("%(name)s returned no authorization code.") % {"name": provider.name})
    try:
        token = app.fetch_access_token(redirect_uri=flow["redirect_uri"], code=code,
                                       code_verifier=flow["code_verifier"])
    except OAuthError as exc:
        raise ProviderRefused(_("%(name)s refused the authorization code: %(error)s")
                              % {"name": provider.name, "error": exc.error}) from None
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable(_("%(name)s: the token endpoint failed (%(error)s).")
                                  % {"name": provider.name, "error": type(exc).__name__}) from None
    if "id_token" not in token:
        raise InvalidToken(_("%(name)s returned no ID token.") % {"name": provider.name}, reason="no_id_token")
    return dict(token)


def _issuer_check(provider: IdentityProvider, issuer: str):
    """Entra (multi-tenant): the token's tid must be an allowed tenant and ``iss`` that tenant's issuer."""
    allowed = {str(t).lower() for t in provider.config.get("tenant_ids") or []}

    def check(claims: Any, value: Any) -> bool:
        tid = str(claims.get("tid") or "")
        if provider.kind == "entra" and allowed and tid.lower() not in allowed:
            raise NotAllowed(_("Accounts of the Microsoft tenant %(tenant)s may not sign in here.") % {"tenant": tid or "-"},
                             reason="tenant_not_allowed")
        return value == (issuer.replace(TENANT_PLACEHOLDER, tid) if TENANT_PLACEHOLDER in issuer else issuer)

    return check


def _verify(app: DjangoOAuth2App, provider: IdentityProvider, metadata: dict[str, Any], token: dict[str, Any],
            nonce: str) -> dict[str, Any]:
    issuer = str(metadata.get("issuer") or "")
    client_id = str(provider.config.get("client_id"))
    options = {"iss": {"essential": True, "validate": _issuer_check(provider, issuer)},
               "aud": {"essential": True, "value": client_id}}
    try:
        claims = app.parse_id_token(token, nonce=nonce, claims_options=options, leeway=CLOCK_SKEW)
    except InvalidKeyIdError:
        raise InvalidToken(_("The ID token is signed with a key %(name)s does not publish.") % {"name": provider.name},
                           reason="unknown_key") from None
    except ExpiredTokenError:
        raise InvalidToken(_("The ID token has expired."), reason="token_expired") from None
    except ClaimError as exc:
        raise InvalidToken(_("The ID token's %(claim)s claim is not valid.") % {"claim": exc.claim},
                           reason=f"invalid_{exc.claim}") from None
    except JoseError as exc:
        raise InvalidToken(_("The ID token did not verify (%(error)s).") % {"error": exc.error}, reason="bad_signature"
                           if "signature" in exc.error else "invalid_token") from None
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable(_("%(name)s: the signing keys could not be read (%(error)s).")
                                  % {"name": provider.name, "error": _why(exc)}) from None
    if claims is None:
        raise InvalidToken(_("%(name)s returned no ID token.") % {"name": provider.name}, reason="no_id_token")
    claims = dict(claims)
    unverified = NotAllowed(_("%(email)s is not verified at %(name)s.")
                            % {"email": claims.get("email", ""), "name": provider.name}, reason="email_unverified")
    if claims.get("email_verified") in (False, "false"):
        raise unverified
    if provider.kind == "google":
        hd = str(provider.config.get("hosted_domain") or "").lower()
        if hd and str(claims.get("hd") or "").lower() != hd:
            raise NotAllowed(_("Only accounts of %(domain)s may sign in here.") % {"domain": hd},
                             reason="domain_not_allowed")
    if provider.kind != "entra" and claims.get("email_verified") not in (True, "true"):
        raise unverified  # Google and generic providers: the address is matched only when verified
    return claims


def _addresses(provider: IdentityProvider, claims: dict[str, Any], token: dict[str, Any]) -> list[str]:
    """The verified addresses, primary first: Entra from Graph /me (mail, proxyAddresses), else ``email``."""
    if provider.kind != "entra":
        return identities.normalise([claims.get("email") or ""])
    graph = str(provider.config.get("graph_url") or GRAPH).rstrip("/")
    try:
        response = requests.get(f"{graph}/v1.0/me", params={"$select": "mail,userPrincipalName,proxyAddresses"},
                                headers={"Authorization": f"Bearer {token.get('access_token', '')}"},
                                timeout=HTTP_TIMEOUT)
        response.raise_for_status()
        me = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable(_("%(name)s: the user's addresses could not be read from Microsoft Graph (%(error)s).")
                                  % {"name": provider.name, "error": type(exc).__name__}) from None
    proxies = [str(p) for p in me.get("proxyAddresses") or []]
    primary = [p[5:] for p in proxies if p.startswith("SMTP:")]
    aliases = [p[5:] for p in proxies if p.lower().startswith("smtp:") and not p.startswith("SMTP:")]
    return identities.normalise([me.get("mail") or "", *primary, *aliases])
