"""Service-account access tokens with domain-wide delegation (JWT bearer grant, RFC 7523).

google-auth signs the assertion (RS256 with the key from the JSON key file); the
token request itself is a plain form POST through the shared HTTP client so that
retries, throttling and endpoint overrides behave like every other call.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from google.auth import crypt, jwt

from kustos.sources.base import AuthenticationFailed
from kustos.sources.gmail.errors import token_error
from kustos.sources.http import CachedToken, HttpClient

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


class DelegatedTokens:
    """One cached token per (impersonated user, scopes)."""

    def __init__(self, info: dict[str, Any], token_uri: str, http: HttpClient) -> None:
        try:
            self._signer = crypt.RSASigner.from_service_account_info(info)
            self.client_email = str(info["client_email"])
        except (KeyError, ValueError) as exc:
            raise AuthenticationFailed(f"the service-account JSON key is not usable ({type(exc).__name__}: "
                                       f"missing or invalid private_key/client_email)") from None
        self.client_id = str(info.get("client_id", ""))
        self.token_uri = token_uri
        self._http = http
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], CachedToken] = {}

    def for_user(self, subject: str, scopes: str) -> CachedToken:
        with self._lock:
            key = (subject.lower(), scopes)
            if key not in self._cache:
                self._cache[key] = CachedToken(lambda: self._fetch(subject, scopes))
            return self._cache[key]

    def _fetch(self, subject: str, scopes: str) -> tuple[str, float]:
        now = int(time.time())
        claims = {"iss": self.client_email, "sub": subject, "scope": scopes, "aud": self.token_uri,
                  "iat": now, "exp": now + 3600}
        assertion = jwt.encode(self._signer, claims).decode()
        response = self._http.request("POST", self.token_uri, auth=False,
                                      data={"grant_type": JWT_BEARER, "assertion": assertion})
        if response.status_code != 200:
            raise token_error(response, self.client_id, subject, scopes)
        body = response.json()
        return str(body["access_token"]), float(body.get("expires_in", 3599))
