"""Graph requests that follow archive redirects, to the Graph endpoint's host only.

Reading an In-Place Archive, Graph answers ``308 Permanent Redirect`` for folders and items whose
content lives in an auxiliary (auto-expanded) archive; the ``Location`` names the same resource in
that mailbox. The documentation asks for "an HTTP client that can handle redirects without
automatically forwarding credentials to an untrusted host": the shared client never follows
redirects itself, this wrapper follows them one by one and only when the target has the scheme and
host of the configured Graph endpoint; any other target is refused before a request (and so before
the bearer token) goes there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from kustos.sources.base import ConnectorError
from kustos.sources.http import HttpClient

REDIRECTS = (301, 302, 303, 307, 308)
MAX_HOPS = 5


class ForeignRedirect(ConnectorError):
    """Graph (or something in its place) redirected to a host other than the Graph endpoint."""


class GraphRedirects:
    """``get_json`` / ``request`` of :class:`HttpClient` with same-host redirects followed."""

    def __init__(self, http: HttpClient, endpoint: str) -> None:
        self.http = http
        parts = urlsplit(endpoint)
        self.origin = (parts.scheme.lower(), parts.netloc.lower())

    def request(self, method: str, url: str, *, key: str | None = None,
                headers: Mapping[str, str] | None = None) -> httpx.Response:
        for _hop in range(MAX_HOPS + 1):
            response = self.http.request(method, url, key=key, headers=headers)
            if response.status_code not in REDIRECTS:
                return response
            target = urljoin(url, response.headers.get("Location", ""))
            parts = urlsplit(target)
            if not response.headers.get("Location") or (parts.scheme.lower(), parts.netloc.lower()) != self.origin:
                raise ForeignRedirect(f"Microsoft Graph redirected to {parts.netloc or 'nowhere'!s}, not to "
                                      f"{self.origin[1]}; the redirect was not followed")
            url = target
        raise ConnectorError(f"Microsoft Graph redirected more than {MAX_HOPS} times; giving up")

    def get_json(self, url: str, *, key: str | None = None, headers: Mapping[str, str] | None = None) -> Any:
        return self.http.expect(self.request("GET", url, key=key, headers=headers)).json()

    def expect(self, response: httpx.Response) -> httpx.Response:
        return self.http.expect(response)
