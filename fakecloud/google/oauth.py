"""Google OAuth 2.0 token endpoint for service accounts (JWT bearer grant, RFC 7523).

The assertion must be RS256-signed by the service account's private key; it is
verified with the public key registered for that account. ``sub`` names the user to
impersonate (domain-wide delegation); every requested scope must be granted to the
account's client id, as in the Admin console. The ``authorization_code`` grant (OpenID sign-in)
is handed to the OIDC provider (``fakecloud/oidc``).
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from fakecloud.google.errors import oauth_error
from fakecloud.google.store import GoogleStore
from fakecloud.web import Request, Response, Router, json_response

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


class OAuthService:
    def __init__(self, store: GoogleStore, code_grant: Callable[[Request], Response] | None = None) -> None:
        self.store = store
        self.code_grant = code_grant

    def register(self, router: Router) -> None:
        router.add("POST", r"/token", self.token)

    def token(self, request: Request) -> Response:
        form = request.form()
        if form.get("grant_type") == "authorization_code" and self.code_grant is not None:
            return self.code_grant(request)
        if form.get("grant_type") != JWT_BEARER:
            return oauth_error(400, "unsupported_grant_type", "Invalid grant_type: " + form.get("grant_type", ""))
        try:
            header_b64, payload_b64, signature_b64 = form.get("assertion", "").split(".")
            header: dict[str, Any] = json.loads(_b64(header_b64))
            claims: dict[str, Any] = json.loads(_b64(payload_b64))
            signature = _b64(signature_b64)
        except ValueError:
            return oauth_error(400, "invalid_grant", "Invalid JWT: Token must be a short-lived token "
                                                     "(60 minutes) and in a reasonable timeframe.")
        account = self.store.service_accounts.get(str(claims.get("iss", "")))
        if account is None or header.get("alg") != "RS256":
            return oauth_error(401, "invalid_client", "The OAuth client was not found.")
        key = serialization.load_pem_public_key(account.public_key_pem)
        if not isinstance(key, rsa.RSAPublicKey):
            return oauth_error(401, "invalid_client", "The OAuth client was not found.")
        try:
            key.verify(signature, f"{header_b64}.{payload_b64}".encode(), padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            return oauth_error(400, "invalid_grant", "Invalid JWT Signature.")
        now = time.time()
        iat, exp = float(claims.get("iat", 0)), float(claims.get("exp", 0))
        if not (iat - 300 <= now <= exp + 300) or exp - iat > 3600:
            return oauth_error(400, "invalid_grant", "Invalid JWT: Token must be a short-lived token "
                                                     "(60 minutes) and in a reasonable timeframe.")
        if not str(claims.get("aud", "")).endswith("/token"):
            return oauth_error(400, "invalid_grant", "Invalid JWT: audience is not the token endpoint.")
        scopes = set(str(claims.get("scope", "")).split())
        if not scopes:
            return oauth_error(400, "invalid_scope", "Empty or missing scope not allowed.")
        subject = str(claims.get("sub") or claims["iss"])
        if claims.get("sub"):
            user = self.store.user(subject)
            if user is None or user.suspended:
                return oauth_error(400, "invalid_grant", "Invalid email or User ID")
            if not scopes <= account.scopes:
                return oauth_error(401, "unauthorized_client",
                                   "Client is unauthorized to retrieve access tokens using this method, "
                                   "or client not authorized for any of the scopes requested.")
        token, lifetime = self.store.issue_token(subject, scopes)
        return json_response(200, {"access_token": token, "expires_in": lifetime, "token_type": "Bearer"})
