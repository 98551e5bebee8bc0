"""The Google Workspace session every backup service and the restore writer use: the Gmail
connector's service-account tokens (domain-wide delegation), HTTP client, error mapping and user
listing, with the Drive, Calendar, People and Tasks base URLs beside Gmail's."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from kustos.sources.base import ConnectorError, Scope
from kustos.sources.egress import EgressPolicy
from kustos.sources.gmail.connector import GmailConnector
from kustos.sources.http import CachedToken, RetryPolicy

READ = {"drive": "https://www.googleapis.com/auth/drive.readonly",
        "calendar": "https://www.googleapis.com/auth/calendar.readonly",
        "contacts": "https://www.googleapis.com/auth/contacts.readonly",
        "tasks": "https://www.googleapis.com/auth/tasks.readonly"}
WRITE = {"drive": "https://www.googleapis.com/auth/drive",
         "calendar": "https://www.googleapis.com/auth/calendar",
         "contacts": "https://www.googleapis.com/auth/contacts",
         "tasks": "https://www.googleapis.com/auth/tasks"}


class SyncExpired(ConnectorError):
    """A sync token / change token the service no longer accepts: the scope starts again (reset)."""


def error_reasons(response: httpx.Response) -> set[str]:
    """Every ``reason`` in a Google error body (legacy ``errors[]`` and ``details[]`` ErrorInfo)."""
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        return set()
    if not isinstance(error, dict):
        return set()
    found = {str(e.get("reason")) for e in error.get("errors", []) if isinstance(e, dict)}
    found |= {str(d.get("reason")) for d in error.get("details", []) if isinstance(d, dict)}
    return found - {"None"}


class GoogleSession(GmailConnector):
    """A :class:`GmailConnector` that also knows the Drive, Calendar, People and Tasks endpoints."""

    def __init__(self, service_account_info: dict[str, Any], admin_email: str, *, endpoint: str | None = None,
                 retry: RetryPolicy | None = None, timeout: float = 60.0, egress: EgressPolicy | None = None,
                 page_size: int = 100) -> None:
        super().__init__(service_account_info, admin_email, endpoint=endpoint, retry=retry, timeout=timeout,
                         egress=egress, page_size=page_size)
        base = endpoint.rstrip("/") if endpoint else None
        self.drive = f"{base or 'https://www.googleapis.com'}/drive/v3"
        self.upload = f"{base or 'https://www.googleapis.com'}/upload/drive/v3"
        self.calendar = f"{base or 'https://www.googleapis.com'}/calendar/v3"
        self.people = f"{base or 'https://people.googleapis.com'}/v1"
        self.tasks = f"{base or 'https://tasks.googleapis.com'}/tasks/v1"

    def __repr__(self) -> str:  # never show the key
        return f"GoogleSession(client_email={self.tokens.client_email!r}, admin_email={self.admin_email!r})"

    def token_for(self, user: str, service: str, write: bool = False) -> CachedToken:
        return self.tokens.for_user(user, (WRITE if write else READ)[service])

    def users(self) -> Iterator[Scope]:
        """Every active user of the domain (with or without a mailbox), by primary e-mail."""
        for user in self._users(max_results=min(self.page_size, 500)):
            if user.get("suspended"):
                continue
            email = str(user["primaryEmail"])
            yield Scope(id=email, kind="user", name=email,
                        meta={"googleId": user.get("id"), "fullName": (user.get("name") or {}).get("fullName")})

    def call(self, method: str, url: str, user: str, service: str, *, write: bool = False,
             params: Mapping[str, Any] | None = None, content: bytes | None = None,
             headers: Mapping[str, str] | None = None) -> httpx.Response:
        """One request as ``user``; the raw response (callers decide on its status)."""
        return self.http.request(method, url, key=user, params=params, content=content, headers=headers,
                                 token=self.token_for(user, service, write))

    def json(self, url: str, user: str, service: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.http.expect(self.call("GET", url, user, service, params=params)).json()
