"""The Box session every Box service uses: an enterprise app's token (client credentials grant with
``box_subject_type=enterprise``), one HTTP client with Box's error mapping, and the enterprise-wide
throttle (at most ``per_user`` concurrent requests per user; a 429's ``Retry-After`` holds back every
worker of the enterprise). User content is read and written ``As-User``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx

from kustos.sources.base import AuthenticationFailed, ConnectorError, PermissionMissing
from kustos.sources.egress import EgressPolicy
from kustos.sources.http import (
    CachedToken,
    HttpClient,
    HttpStatusError,
    KeyedLimiter,
    RetryPolicy,
    SharedPause,
)

API = "https://api.box.com"
UPLOAD = "https://upload.box.com/api"
PAGE = 1000  # the largest page Box accepts for folder items and users
READY_ATTEMPTS = 8  # how often a 202 Accepted ("not ready yet, Retry-After") is waited out before giving up
READY_WAIT = 30.0  # the longest single wait a 202's Retry-After is obeyed for (seconds)

_lock = threading.Lock()
_throttles: dict[tuple[str, str], tuple[KeyedLimiter, SharedPause]] = {}


def for_enterprise(endpoint: str, enterprise_id: str, per_user: int = 4) -> tuple[KeyedLimiter, SharedPause]:
    """The process-wide (limiter, pause) of one enterprise at ``endpoint``."""
    key = (endpoint.rstrip("/").lower(), enterprise_id)
    with _lock:
        found = _throttles.get(key)
        if found is None or found[0].limit != per_user:
            found = (KeyedLimiter(per_user), SharedPause())
            _throttles[key] = found
        return found


def box_error(response: httpx.Response) -> ConnectorError:
    """A Box error body (``type: error``, ``code``, ``message``) as a connector error."""
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    code = str(body.get("code") or "") if isinstance(body, dict) else ""
    message = str(body.get("message") or "") if isinstance(body, dict) else ""
    text = f"Box answered HTTP {response.status_code}" + (f" {code}" if code else "") + (f": {message}" if message else "")
    if response.status_code == 401:
        return AuthenticationFailed("Box refused the access token (check the app's client ID and secret)")
    if response.status_code == 403 and code in ("access_denied_insufficient_permissions", "insufficient_scope"):
        return PermissionMissing(f"{text} (the app needs 'Read and write all files and folders', "
                                 f"'Manage users', 'Manage enterprise properties' (metadata templates) and 'Make "
                                 f"API calls using the as-user header', and the admin's authorisation in the Admin "
                                 f"Console)")
    return HttpStatusError(text, response.status_code, body)


def retry_after(response: httpx.Response, longest: float) -> float:
    """The seconds a 202's ``Retry-After`` asks for (1 when absent or unreadable), at most ``longest``."""
    try:
        wanted = float(response.headers.get("Retry-After") or 1)
    except ValueError:
        wanted = 1.0
    return max(0.0, min(wanted, longest))


class BoxSession:
    def __init__(self, client_id: str, client_secret: str, enterprise_id: str, *, endpoint: str | None = None,
                 upload_endpoint: str | None = None, egress: EgressPolicy | None = None,
                 retry: RetryPolicy | None = None, timeout: float = 60.0, per_user: int = 4,
                 ready_attempts: int = READY_ATTEMPTS, ready_wait: float = READY_WAIT) -> None:
        self.client_id = client_id
        self._secret = client_secret
        self.enterprise_id = enterprise_id
        self.endpoint = (endpoint or API).rstrip("/")
        self.base = f"{self.endpoint}/2.0"
        self.upload_base = f"{(upload_endpoint or UPLOAD).rstrip('/')}/2.0"
        limiter, pause = for_enterprise(self.endpoint, enterprise_id, per_user)
        self.max_concurrency = per_user
        self.ready_attempts, self.ready_wait = ready_attempts, ready_wait
        self.sleep: Callable[[float], None] = time.sleep
        self._token = CachedToken(self._fetch_token)
        self.http = HttpClient(token=self._token, limiter=limiter, pause=pause, retry=retry, timeout=timeout,
                               on_error=box_error, egress=egress)

    def __repr__(self) -> str:  # never show the secret
        return f"BoxSession(enterprise_id={self.enterprise_id!r}, client_id={self.client_id!r})"

    def close(self) -> None:
        self.http.close()

    def _fetch_token(self) -> tuple[str, float]:
        response = self.http.request("POST", f"{self.endpoint}/oauth2/token", auth=False, data={
            "grant_type": "client_credentials", "client_id": self.client_id, "client_secret": self._secret,
            "box_subject_type": "enterprise", "box_subject_id": self.enterprise_id})
        if response.status_code != 200:
            try:
                reason = str(response.json().get("error_description") or response.json().get("error") or "")
            except ValueError:
                reason = ""
            raise AuthenticationFailed(f"Box refused the app's sign-in for enterprise {self.enterprise_id!r}"
                                       + (f": {reason}" if reason else "")
                                       + " (check the client ID, the secret and that the admin authorised the app)")
        body = response.json()
        return str(body["access_token"]), float(body.get("expires_in", 3600))

    def get(self, path: str, user: str | None = None, params: Mapping[str, Any] | None = None) -> Any:
        headers = {"As-User": user} if user else None
        return self.http.get_json(f"{self.base}{path}", key=user, params=params, headers=headers)

    def request(self, method: str, url: str, user: str, **kwargs: Any) -> httpx.Response:
        headers = {"As-User": user, **(kwargs.pop("headers", None) or {})}
        return self.http.request(method, url, key=user, headers=headers, **kwargs)

    def when_ready(self, send: Callable[[], httpx.Response], what: str) -> httpx.Response:
        """``send()`` again while Box answers ``202 Accepted`` (a download whose content is not ready yet, an
        upload session commit whose parts are still processed), after the ``Retry-After`` it names (at most
        ``READY_WAIT`` seconds each, ``READY_ATTEMPTS`` times); the first other answer is returned."""
        for _attempt in range(self.ready_attempts):
            response = send()
            if response.status_code != 202:
                return response
            self.sleep(retry_after(response, self.ready_wait))
        raise ConnectorError(f"Box still answered 202 (not ready) for {what} after {self.ready_attempts} attempts; "
                             f"the next run tries again")

    def paged(self, path: str, user: str | None = None, params: Mapping[str, Any] | None = None,
              limit: int = PAGE) -> Iterator[dict[str, Any]]:
        """Every entry of an offset-paged collection (``total_count``, ``offset``, ``limit``)."""
        offset = 0
        while True:
            page = self.get(path, user, {**(params or {}), "offset": offset, "limit": limit})
            entries = list(page.get("entries") or [])
            yield from entries
            offset += len(entries)
            if not entries or offset >= int(page.get("total_count") or 0):
                return

    def marked(self, path: str, user: str | None = None, params: Mapping[str, Any] | None = None,
               limit: int = PAGE) -> Iterator[dict[str, Any]]:
        """Every entry of a marker-paged collection (``limit``, ``marker`` → ``next_marker``)."""
        marker: str | None = None
        while True:
            page = self.get(path, user, {**(params or {}), "limit": limit, **({"marker": marker} if marker else {})})
            yield from list(page.get("entries") or [])
            marker = page.get("next_marker") or None
            if not marker:
                return

    def users(self) -> Iterator[dict[str, Any]]:
        """Every managed user of the enterprise."""
        yield from self.paged("/users", None, {"fields": "id,name,login,status", "user_type": "managed"})
