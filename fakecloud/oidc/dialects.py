"""How Entra ID and Google differ: discovery documents, issuers, ID-token claims, OAuth error bodies."""

from __future__ import annotations

import hashlib
import time
import uuid
from typing import Any, Protocol

from fakecloud.google.errors import oauth_error
from fakecloud.microsoft.errors import aad_error
from fakecloud.oidc.keys import b64url
from fakecloud.oidc.state import TOKEN_LIFETIME, User
from fakecloud.web import Response

MULTI_TENANT = ("common", "organizations")


class Dialect(Protocol):
    service: str

    def discovery(self, base: str, tenant: str) -> dict[str, Any]: ...

    def authorize_path(self, tenant: str) -> str: ...

    def id_claims(self, base: str, user: User, client_id: str, nonce: str | None,
                  access_token: str) -> dict[str, Any]: ...

    def token_fields(self, scope: str) -> dict[str, Any]: ...

    def error(self, status: int, error: str, aadsts: int, description: str) -> Response: ...


class Entra:
    """Microsoft identity platform v2.0 (login.microsoftonline.com)."""

    service = "ms"

    def discovery(self, base: str, tenant: str) -> dict[str, Any]:
        issuer_tenant = "{tenantid}" if tenant in MULTI_TENANT else tenant
        root = f"{base}/{tenant}"
        return {
            "token_endpoint": f"{root}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "jwks_uri": f"{root}/discovery/v2.0/keys",
            "response_modes_supported": ["query"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{base}/{issuer_tenant}/v2.0",
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": f"{base}/oidc/userinfo",
            "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{root}/oauth2/v2.0/logout",
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce",
                                 "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"],
            "code_challenge_methods_supported": ["plain", "S256"],
            "tenant_region_scope": None,
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
        }

    def authorize_path(self, tenant: str) -> str:
        return f"/{tenant}/oauth2/v2.0/authorize"

    def id_claims(self, base: str, user: User, client_id: str, nonce: str | None,
                  access_token: str) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "aud": client_id, "iss": f"{base}/{user.tenant}/v2.0", "iat": now, "nbf": now,
            "exp": now + TOKEN_LIFETIME, "name": user.name, "oid": user.oid, "preferred_username": user.email,
            "email": user.email, "sub": user.subject(client_id), "tid": user.tenant,
            "uti": b64url(uuid.uuid4().bytes), "ver": "2.0", "amr": ["pwd", "mfa"] if user.mfa else ["pwd"],
            "xms_edov": user.email_verified,  # optional claim: the e-mail's domain is verified by its owner
        }
        if user.groups:
            claims["groups"] = list(user.groups)
        if nonce is not None:
            claims["nonce"] = nonce
        return claims

    def token_fields(self, scope: str) -> dict[str, Any]:
        return {"token_type": "Bearer", "scope": scope, "expires_in": TOKEN_LIFETIME,
                "ext_expires_in": TOKEN_LIFETIME}

    def error(self, status: int, error: str, aadsts: int, description: str) -> Response:
        return aad_error(status, error, aadsts, description)


class Google:
    """Google's OpenID Connect (accounts.google.com, oauth2.googleapis.com, www.googleapis.com)."""

    service = "google"

    def discovery(self, base: str, tenant: str) -> dict[str, Any]:
        return {
            "issuer": base,
            "authorization_endpoint": f"{base}/o/oauth2/v2/auth",
            "token_endpoint": f"{base}/token",
            "userinfo_endpoint": f"{base}/v1/userinfo",
            "jwks_uri": f"{base}/oauth2/v3/certs",
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "claims_supported": ["aud", "email", "email_verified", "exp", "family_name", "given_name", "iat",
                                 "iss", "name", "picture", "sub"],
            "code_challenge_methods_supported": ["plain", "S256"],
            "grant_types_supported": ["authorization_code", "urn:ietf:params:oauth:grant-type:jwt-bearer"],
        }

    def authorize_path(self, tenant: str) -> str:
        return "/o/oauth2/v2/auth"

    def id_claims(self, base: str, user: User, client_id: str, nonce: str | None,
                  access_token: str) -> dict[str, Any]:
        now = int(time.time())
        digest = hashlib.sha256(access_token.encode()).digest()
        claims: dict[str, Any] = {
            "iss": base, "azp": client_id, "aud": client_id, "sub": user.subject(client_id), "email": user.email,
            "email_verified": user.email_verified, "at_hash": b64url(digest[:16]), "name": user.name,
            "iat": now, "exp": now + TOKEN_LIFETIME,
        }
        if user.tenant:
            claims["hd"] = user.tenant
        if nonce is not None:
            claims["nonce"] = nonce
        return claims

    def token_fields(self, scope: str) -> dict[str, Any]:
        return {"expires_in": TOKEN_LIFETIME - 1, "scope": scope, "token_type": "Bearer"}

    def error(self, status: int, error: str, aadsts: int, description: str) -> Response:
        return oauth_error(status, error, description)


DIALECTS: dict[str, Dialect] = {"ms": Entra(), "google": Google()}
