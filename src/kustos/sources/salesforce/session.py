"""A signed-in session with one Salesforce org: JWT bearer token, retries, error mapping."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from kustos.sources.base import AuthenticationFailed, ConnectorError, PermissionMissing
from kustos.sources.egress import EgressPolicy
from kustos.sources.http import CachedToken, HttpClient, HttpStatusError, RetryPolicy, retry_after_seconds

LOGIN = "https://login.salesforce.com"
API_VERSION = "59.0"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def moment_of(value: str) -> datetime:
    """A Salesforce dateTime (``2013-05-08T21:20:00.000+0000``) as an aware datetime."""
    text = value.replace("Z", "+00:00")
    if len(text) >= 5 and text[-5] in "+-" and text[-3] != ":":
        text = text[:-2] + ":" + text[-2:]
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def load_key(private_key: str) -> rsa.RSAPrivateKey:
    """The connected app's private key (PEM); a clear error when it is not an RSA key."""
    try:
        key = serialization.load_pem_private_key(private_key.encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise AuthenticationFailed("the private key is not a readable unencrypted PEM key") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise AuthenticationFailed("the private key must be an RSA key (the connected app's certificate key)")
    return key


def assertion(key: rsa.RSAPrivateKey, client_id: str, username: str, audience: str) -> str:
    header = _b64(json.dumps({"alg": "RS256"}).encode())
    claims = _b64(json.dumps({"iss": client_id, "sub": username, "aud": audience,
                              "exp": int(time.time()) + 180}).encode())
    signature = key.sign(f"{header}.{claims}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{header}.{claims}.{_b64(signature)}"


def sf_error(response: httpx.Response) -> ConnectorError:
    try:
        body = response.json()
    except ValueError:
        body = None
    first = body[0] if isinstance(body, list) and body and isinstance(body[0], dict) else {}
    code, message = str(first.get("errorCode", "")), str(first.get("message", ""))
    if response.status_code == 401:
        return AuthenticationFailed(f"Salesforce refused the session ({code or 'HTTP 401'})")
    if response.status_code == 403 and code != "REQUEST_LIMIT_EXCEEDED":
        return PermissionMissing(f"Salesforce denied access ({code}): {message}")
    return HttpStatusError(f"Salesforce answered HTTP {response.status_code} ({code}): {message}".rstrip(": "),
                           response.status_code, body)


def limit_exceeded(response: httpx.Response) -> bool:
    return response.status_code == 403 and b"REQUEST_LIMIT_EXCEEDED" in response.content


class SalesforceSession:
    def __init__(self, client_id: str, username: str, private_key: str, *, login: str | None = None,
                 egress: EgressPolicy | None = None) -> None:
        self.client_id, self.username = client_id, username
        self.login = (login or LOGIN).rstrip("/")
        self._key = load_key(private_key)
        self.instance_url = ""
        self.org_id = ""
        self._token = CachedToken(self._sign_in)
        self.http = HttpClient(token=self._token, egress=egress, on_error=sf_error, retryable=limit_exceeded)
        # SOAP (Metadata API) answers a fault with HTTP 500: that is an answer to read, not one to retry.
        self.soap_http = HttpClient(egress=egress, on_error=sf_error, retryable=limit_exceeded,
                                    retry=RetryPolicy(statuses=frozenset({429, 502, 503, 504})))

    def close(self) -> None:
        self.http.close()
        self.soap_http.close()

    def _sign_in(self) -> tuple[str, float]:
        response = self.http.request("POST", f"{self.login}/services/oauth2/token", auth=False, data={
            "grant_type": JWT_BEARER, "assertion": assertion(self._key, self.client_id, self.username, self.login)})
        if response.status_code != 200:
            try:
                error = response.json()
            except ValueError:
                error = {}
            raise AuthenticationFailed(f"Salesforce sign-in failed ({error.get('error', response.status_code)}): "
                                       f"{error.get('error_description', '')}".rstrip(": "))
        body = response.json()
        self.instance_url = str(body["instance_url"]).rstrip("/")
        self.org_id = str(body.get("id", "")).rstrip("/").split("/")[-2] if "/id/" in str(body.get("id", "")) else ""
        return str(body["access_token"]), 3000.0

    def url(self, path: str) -> str:
        self._token.token()
        if path.startswith("/services/"):
            return self.instance_url + path
        return f"{self.instance_url}/services/data/v{API_VERSION}/{path.lstrip('/')}"

    def access_token(self, force_refresh: bool = False) -> str:
        """The session id for SOAP calls (Metadata API ``SessionHeader``)."""
        return self._token.token(force_refresh=force_refresh)

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.http.get_json(self.url(path), params=params)

    def get_response(self, path: str, params: Mapping[str, Any] | None = None) -> httpx.Response:
        """A GET whose headers matter (Bulk API result sets: ``Sforce-Locator``)."""
        return self.http.expect(self.http.request("GET", self.url(path), params=params))

    def get_bytes(self, path: str) -> bytes:
        return self.http.get_bytes(self.url(path))

    def download(self, path: str) -> Iterator[bytes]:
        """A blob (``VersionData``, ``Body``) in pieces, streamed; a throttled or refused first try is
        repeated through the retrying client."""
        url = self.url(path)
        with self.http.stream("GET", url, headers={"Authorization": f"Bearer {self._token.token()}"}) as response:
            if response.status_code == 200:
                yield from response.iter_bytes(1 << 20)
                return
            response.read()
            if limit_exceeded(response) or response.status_code in self.http.retry.statuses:
                wait = retry_after_seconds(response.headers.get("Retry-After"))
                self.http.sleep(min(wait if wait is not None else 1.0, self.http.retry.max_wait))
        yield self.http.get_bytes(url)

    def send(self, method: str, path: str, values: Mapping[str, Any]) -> Any:
        response = self.http.expect(self.http.request(method, self.url(path), content=json.dumps(values).encode(),
                                                      headers={"Content-Type": "application/json"}), ok=(200, 201, 204))
        return response.json() if response.content else None

    def delete(self, path: str) -> None:
        self.http.expect(self.http.request("DELETE", self.url(path)), ok=(200, 204))

    def query(self, soql: str) -> Iterator[dict[str, Any]]:
        page = self.get("query", {"q": soql})
        while True:
            yield from page.get("records", [])
            if page.get("done", True) or not page.get("nextRecordsUrl"):
                return
            page = self.get(page["nextRecordsUrl"])
