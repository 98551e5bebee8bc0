"""Sign in at an emulated provider without a browser (tests): what a user does on the sign-in page.

``sign_in(authorize_url, email)`` loads the page the authorize URL shows, submits its form with
``email`` and returns the ``Location`` it redirects to (``redirect_uri?code=..&state=..``).
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser


class SignInError(Exception):
    """The provider answered with its error page (the message is the page's text)."""


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}
        self.error = ""
        self._in_error = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.action = values.get("action", "")
        elif tag == "input" and values.get("name"):
            self.fields[values["name"]] = values.get("value", "")
        elif values.get("id") == "error":
            self._in_error = True

    def handle_data(self, data: str) -> None:
        if self._in_error:
            self.error += data

    def handle_endtag(self, tag: str) -> None:
        self._in_error = False


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _page(opener: urllib.request.OpenerDirector, request: urllib.request.Request | str) -> tuple[int, str, str]:
    """``(status, Location, body)`` without following redirects."""
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.headers.get("Location", ""), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Location", ""), exc.read().decode(errors="replace")


def sign_in(authorize_url: str, email: str | None = None) -> str:
    """The redirect after signing in as ``email`` (default: the ``login_hint`` the page shows)."""
    opener = urllib.request.build_opener(_NoRedirect)
    status, location, body = _page(opener, authorize_url)
    if status == 302:
        return location  # an error redirect (error=...&state=...)
    form = _Form()
    form.feed(body)
    if status != 200 or not form.action:
        raise SignInError(form.error.strip() or f"HTTP {status}")
    if email is not None:
        form.fields["email"] = email
    target = urllib.parse.urljoin(authorize_url, form.action)
    status, location, body = _page(opener, urllib.request.Request(
        target, data=urllib.parse.urlencode(form.fields).encode(), method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"}))
    if status != 302:
        page = _Form()
        page.feed(body)
        raise SignInError(page.error.strip() or f"HTTP {status}")
    return location
