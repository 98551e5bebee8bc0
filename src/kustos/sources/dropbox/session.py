"""The HTTP session of a Dropbox team app: the team token, RPC and content calls, error mapping.

The token comes from ``POST {endpoint}/oauth2/token``: with the app key and secret
(``grant_type=client_credentials`` for a team app), or, when the connection holds a long-lived
refresh token from the admin's one-time OAuth code flow (PKCE), with ``grant_type=refresh_token``,
the refresh token and the app key (the app secret too when it is known); calls on a member's Dropbox carry
``Dropbox-API-Select-User``, calls on a team folder also ``Dropbox-API-Path-Root``. Throttling
(429 ``too_many_requests`` with Retry-After) is retried by :class:`HttpClient`, under one throttle
per team app in this process (a Retry-After holds back every worker of the same team).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import nullcontext
from typing import Any

import httpx

from kustos.sources.base import AuthenticationFailed, ConnectorError, PermissionMissing
from kustos.sources.egress import EgressPolicy
from kustos.sources.graph.backup.throttle import for_tenant
from kustos.sources.http import CachedToken, HttpClient, HttpStatusError, RetryPolicy, retry_after_seconds

API = "https://api.dropboxapi.com"
CONTENT = "https://content.dropboxapi.com"
CHUNK = 1024 * 1024


class DropboxError(HttpStatusError):
    """A Dropbox route error (409) or other failure; ``tag`` is the error's first ``.tag``."""

    def __init__(self, message: str, status: int = 0, body: Any = None) -> None:
        super().__init__(message, status, body)
        error = body.get("error") if isinstance(body, dict) else None
        self.tag = str(error.get(".tag", "")) if isinstance(error, dict) else ""
        self.summary = str(body.get("error_summary", "")) if isinstance(body, dict) else ""


def dropbox_error(response: httpx.Response) -> ConnectorError:
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if response.status_code == 401 and isinstance(error, dict) and error.get(".tag") == "missing_scope":
        return PermissionMissing(f"the Dropbox app lacks the permission {error.get('required_scope') or '?'} "
                                 "(App Console → Permissions)")
    if response.status_code == 401:
        return AuthenticationFailed("Dropbox refused the access token (check the app key and secret)")
    if response.status_code == 403:
        return PermissionMissing("the Dropbox app lacks a permission (scope) this call needs")
    if response.status_code == 400:
        text = response.text.strip().splitlines()[0][:300] if response.text.strip() else "bad request"
        return DropboxError(f"Dropbox refused the call: {text}", 400, body)
    summary = body.get("error_summary", "") if isinstance(body, dict) else ""
    return DropboxError(f"Dropbox answered HTTP {response.status_code}{': ' + summary if summary else ''}",
                        response.status_code, body)


def arg_header(value: Mapping[str, Any]) -> str:
    """``Dropbox-API-Arg``: JSON with every non-ASCII character escaped (HTTP headers are ASCII)."""
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"))


class DropboxSession:
    def __init__(self, app_key: str, app_secret: str, endpoint: str | None = None,
                 content_endpoint: str | None = None, *, egress: EgressPolicy | None = None,
                 retry: RetryPolicy | None = None, timeout: float = 60.0, refresh_token: str | None = None) -> None:
        self.app_key = app_key
        self._secret = app_secret
        self._refresh = refresh_token
        self.endpoint = (endpoint or API).rstrip("/")
        self.content = (content_endpoint or (endpoint if endpoint else CONTENT)).rstrip("/")
        self.throttle = for_tenant(self.endpoint, "dropbox:" + app_key)
        self._token = CachedToken(self._fetch_token)
        self.http = HttpClient(token=self._token, limiter=self.throttle.limiter, pause=self.throttle.pause,
                               retry=retry, timeout=timeout, on_error=dropbox_error, egress=egress)

    def __repr__(self) -> str:  # never show the secret
        return f"DropboxSession(app_key={self.app_key!r})"

    def close(self) -> None:
        self.http.close()

    def _fetch_token(self) -> tuple[str, float]:
        if self._refresh:
            form = {"grant_type": "refresh_token", "refresh_token": self._refresh, "client_id": self.app_key}
            if self._secret:
                form["client_secret"] = self._secret
        else:
            form = {"grant_type": "client_credentials", "client_id": self.app_key, "client_secret": self._secret}
        response = self.http.request("POST", f"{self.endpoint}/oauth2/token", auth=False, data=form)
        if response.status_code != 200:
            try:
                error = response.json()
                code, detail = str(error.get("error") or ""), str(error.get("error_description") or error.get("error"))
            except (ValueError, AttributeError):
                code, detail = "", f"HTTP {response.status_code}"
            if self._refresh and code == "invalid_grant":
                raise AuthenticationFailed(f"Dropbox refused the refresh token ({detail}); it was revoked or is "
                                           "not this app's: do the app's OAuth sign-in again and enter the new "
                                           "refresh token")
            if self._refresh:
                raise AuthenticationFailed(f"Dropbox refused the app key for the refresh token ({detail})")
            raise AuthenticationFailed(f"Dropbox refused the app key and secret ({detail})")
        body = response.json()
        return str(body["access_token"]), float(body.get("expires_in", 14400))

    def check(self) -> None:
        self._token.token(force_refresh=True)

    @staticmethod
    def _headers(member: str | None, namespace: str | None) -> dict[str, str]:
        headers = {}
        if member:
            headers["Dropbox-API-Select-User"] = member
        if namespace:
            headers["Dropbox-API-Path-Root"] = arg_header({".tag": "namespace_id", "namespace_id": namespace})
        return headers

    def rpc(self, route: str, body: Mapping[str, Any] | None = None, *, member: str | None = None,
            namespace: str | None = None, ok: tuple[int, ...] = (200,)) -> httpx.Response:
        headers = {"Content-Type": "application/json", **self._headers(member, namespace)}
        payload = json.dumps(dict(body) if body is not None else None).encode()  # None: a Void argument
        response = self.http.request("POST", f"{self.endpoint}/2/{route}", key=member or "team", headers=headers,
                                     content=payload)
        return self.http.expect(response, ok)

    def call(self, route: str, body: Mapping[str, Any] | None = None, *, member: str | None = None,
             namespace: str | None = None) -> Any:
        """The route's JSON result (an object for most routes, a list for batch routes, None for Void)."""
        return self.rpc(route, body, member=member, namespace=namespace).json()

    def upload(self, arg: Mapping[str, Any], data: bytes, *, member: str,
               namespace: str | None = None) -> httpx.Response:
        """``files/upload`` (content endpoint); returns the response whatever its status."""
        return self.content_call("files/upload", arg, data, member=member, namespace=namespace)

    def content_call(self, route: str, arg: Mapping[str, Any], data: bytes, *, member: str,
                     namespace: str | None = None) -> httpx.Response:
        """A content-endpoint call (argument in ``Dropbox-API-Arg``, bytes in the body); any status."""
        headers = {"Content-Type": "application/octet-stream", "Dropbox-API-Arg": arg_header(arg),
                   **self._headers(member, namespace)}
        return self.http.request("POST", f"{self.content}/2/{route}", key=member, headers=headers, content=data)

    def download(self, path: str, *, member: str, namespace: str | None = None,
                 chunk_size: int = CHUNK) -> Iterator[bytes]:
        """The file's bytes in chunks (streamed; a throttled answer is waited out and retried)."""
        headers = {"Dropbox-API-Arg": arg_header({"path": path}), **self._headers(member, namespace)}
        url = f"{self.content}/2/files/download"
        for attempt in range(1, self.http.retry.max_attempts + 1):
            self.http.wait_shared_pause()
            auth = {"Authorization": f"Bearer {self._token.token()}"}
            with self.http.limiter.slot(member) if self.http.limiter else nullcontext(), \
                    self.http.stream("POST", url, headers={**headers, **auth}) as response:
                if response.status_code in (429, 503) and attempt < self.http.retry.max_attempts:
                    wait = retry_after_seconds(response.headers.get("Retry-After"))
                    wait = 1.0 if wait is None else wait
                    self.throttle.pause.hold(wait)
                    continue
                if response.status_code != 200:
                    response.read()
                    raise self.http.on_error(response)
                yield from response.iter_bytes(chunk_size)
                return
        raise ConnectorError("Dropbox kept throttling the download; try again later")

    def pages(self, route: str, body: Mapping[str, Any], key: str, *, member: str | None = None,
              namespace: str | None = None) -> Iterator[dict[str, Any]]:
        """Pages of a listing continued by ``{route}/continue`` with its cursor while ``has_more``."""
        page = self.call(route, body, member=member, namespace=namespace)
        yield page
        while page.get("has_more"):
            page = self.call(f"{route}/continue", {"cursor": page["cursor"]}, member=member, namespace=namespace)
            yield page

    def members(self) -> Iterator[dict[str, Any]]:
        """Every active member's profile (``team/members/list``)."""
        for page in self.pages("team/members/list", {"limit": 1000}, "members"):
            for row in page.get("members", []):
                profile = row.get("profile", {})
                if (profile.get("status") or {}).get(".tag", "active") == "active":
                    yield {**profile, "role": (row.get("role") or {}).get(".tag", "")}

    def team_folders(self) -> Iterator[dict[str, Any]]:
        for page in self.pages("team/team_folder/list", {"limit": 1000}, "team_folders"):
            for row in page.get("team_folders", []):
                if (row.get("status") or {}).get(".tag", "active") == "active":
                    yield row
