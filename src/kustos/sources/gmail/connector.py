"""GmailConnector: full sync (messages.list + get raw), then history-based increments.

Cursor shape: ``{"historyId": "<id>"}`` once a round is complete. During a full sync
the intermediate cursors also carry ``"pageToken"`` (the ``messages.list`` position)
so an interrupted first sync resumes instead of restarting; increments advance
``historyId`` record by record. A 404 from ``history.list`` (history no longer
retained) restarts with a full sync whose batches are marked ``reset=True``.
Label changes are not re-fetched: the archive keeps the bytes once, the labels at
the time of archiving travel in ``meta["labels"]``.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, ClassVar
from urllib.parse import quote

from kustos.sources import mailfacts
from kustos.sources.base import Batch, ConnectorError, Cursor, Item, Scope
from kustos.sources.egress import EgressPolicy
from kustos.sources.gmail.auth import DelegatedTokens
from kustos.sources.gmail.errors import HistoryExpired, api_error, is_rate_limited
from kustos.sources.gmail.labels import Label, folder_for, label_names
from kustos.sources.http import (
    CachedToken,
    HttpClient,
    KeyedLimiter,
    RetryPolicy,
    bounded_map,
    iter_token_pages,
)

log = logging.getLogger(__name__)

GMAIL_SCOPE = "https://www.googleapis.com/auth/gmail.readonly"
DIRECTORY_SCOPE = "https://www.googleapis.com/auth/admin.directory.user.readonly"


class GmailConnector:
    """Archive every Gmail mailbox of a Google Workspace domain.

    ``service_account_info`` is the parsed JSON key of a service account whose client
    id is authorised for domain-wide delegation with the scopes ``gmail.readonly`` and
    ``admin.directory.user.readonly``; ``admin_email`` is a Workspace administrator
    (impersonated to list users). ``endpoint`` points every Google host (token,
    Gmail, Directory) at one base URL (emulators); the three specific overrides win.
    ``egress`` checks every connection (token URI, Gmail and Directory APIs) against the policy.
    """

    name: ClassVar[str] = "gmail"

    def __init__(self, service_account_info: dict[str, Any], admin_email: str, *,
                 endpoint: str | None = None, token_uri: str | None = None,
                 gmail_endpoint: str | None = None, directory_endpoint: str | None = None,
                 max_concurrency_per_user: int = 4, page_size: int = 100,
                 retry: RetryPolicy | None = None, timeout: float = 60.0,
                 egress: EgressPolicy | None = None) -> None:
        base = endpoint.rstrip("/") if endpoint else None
        self.admin_email = admin_email
        self.token_uri = token_uri or (f"{base}/token" if base else None) or str(
            service_account_info.get("token_uri") or "https://oauth2.googleapis.com/token")
        self.gmail = f"{(gmail_endpoint or base or 'https://gmail.googleapis.com').rstrip('/')}/gmail/v1"
        self.directory = (f"{(directory_endpoint or base or 'https://admin.googleapis.com').rstrip('/')}"
                          f"/admin/directory/v1")
        self.max_concurrency = max_concurrency_per_user
        self.page_size = page_size
        self.http = HttpClient(limiter=KeyedLimiter(max_concurrency_per_user), retry=retry,
                               timeout=timeout, on_error=api_error, retryable=is_rate_limited, egress=egress)
        self.tokens = DelegatedTokens(service_account_info, self.token_uri, self.http)

    def close(self) -> None:
        self.http.close()

    def __repr__(self) -> str:  # never show the key
        return f"GmailConnector(client_email={self.tokens.client_email!r}, admin_email={self.admin_email!r})"

    # --- contract ---------------------------------------------------------------------
    def check(self) -> None:
        """Delegation for both scopes, admin rights for listing users, Gmail access to one mailbox."""
        self.tokens.for_user(self.admin_email, DIRECTORY_SCOPE).token(force_refresh=True)
        list(self._users(max_results=1, pages=1))  # admin rights, even if no user has a mailbox
        first = next(iter(self.scopes()), None)
        if first is not None:
            self._get(first, f"{self._user_url(first)}/profile")

    def scopes(self) -> Iterable[Scope]:
        """Users with a Gmail mailbox; suspended users are skipped (Google refuses to impersonate them)."""
        for user in self._users(max_results=min(self.page_size, 500)):
            if user.get("isMailboxSetup") is False or user.get("suspended"):
                continue
            email = str(user["primaryEmail"])
            yield Scope(id=email, kind="mailbox", name=email,
                        meta={"googleId": user.get("id"), "fullName": (user.get("name") or {}).get("fullName")})

    def fetch(self, scope: Scope, cursor: Cursor | None) -> Iterator[Batch]:
        labels = self._labels(scope)
        history_id = (cursor or {}).get("historyId")
        page_token = (cursor or {}).get("pageToken")
        if history_id and not page_token:
            try:
                yield from self._increment(scope, labels, str(history_id))
                return
            except HistoryExpired:
                log.warning("Gmail history of mailbox %s expired; full resync", scope.id)
                yield from self._full(scope, labels, None, None, reset=True)
                return
        yield from self._full(scope, labels, str(history_id) if history_id else None, page_token, reset=False)

    # --- internals --------------------------------------------------------------------
    def _user_url(self, scope: Scope) -> str:
        return f"{self.gmail}/users/{quote(scope.id, safe='@')}"

    def _token(self, scope: Scope) -> CachedToken:
        return self.tokens.for_user(scope.id, GMAIL_SCOPE)

    def _get(self, scope: Scope, url: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.http.get_json(url, key=scope.id, params=params, token=self._token(scope))

    def _users(self, max_results: int, pages: int | None = None) -> Iterator[Mapping[str, Any]]:
        token = self.tokens.for_user(self.admin_email, DIRECTORY_SCOPE)

        def page(page_token: str | None) -> Mapping[str, Any]:
            params = {"customer": "my_customer", "maxResults": str(max_results), "orderBy": "email"}
            if page_token:
                params["pageToken"] = page_token
            result: Mapping[str, Any] = self.http.get_json(f"{self.directory}/users", params=params, token=token)
            return result

        for number, result in enumerate(iter_token_pages(page), start=1):
            yield from result.get("users", [])
            if pages is not None and number >= pages:
                return

    def _labels(self, scope: Scope) -> dict[str, Label]:
        body = self._get(scope, f"{self._user_url(scope)}/labels")
        return {str(r["id"]): Label(str(r["id"]), str(r["name"]), r.get("type") == "system")
                for r in body.get("labels", [])}

    def _full(self, scope: Scope, labels: Mapping[str, Label], history_id: str | None,
              page_token: str | None, reset: bool) -> Iterator[Batch]:
        if history_id is None:
            # Taken before listing: anything that changes while we list shows up in the next increment.
            history_id = str(self._get(scope, f"{self._user_url(scope)}/profile")["historyId"])
        while True:
            params = {"maxResults": str(self.page_size), "includeSpamTrash": "true"}
            if page_token:
                params["pageToken"] = page_token
            page = self._get(scope, f"{self._user_url(scope)}/messages", params)
            ids = [str(m["id"]) for m in page.get("messages", [])]
            items = [i for i in bounded_map(lambda mid: self._message(scope, labels, mid), ids,
                                            self.max_concurrency) if i is not None]
            page_token = page.get("nextPageToken")
            cursor: Cursor = {"historyId": history_id, "pageToken": page_token} if page_token else {
                "historyId": history_id}
            yield Batch(items, cursor, reset=reset)
            if not page_token:
                return

    def _increment(self, scope: Scope, labels: Mapping[str, Label], start: str) -> Iterator[Batch]:
        page_token: str | None = None
        while True:
            params: dict[str, Any] = {"startHistoryId": start, "maxResults": str(self.page_size),
                                      "historyTypes": ["messageAdded", "messageDeleted"]}
            if page_token:
                params["pageToken"] = page_token
            page = self._get(scope, f"{self._user_url(scope)}/history", params)
            records = page.get("history", [])
            added: list[str] = []
            deleted: list[str] = []
            for record in records:
                added += [str(e["message"]["id"]) for e in record.get("messagesAdded", [])]
                deleted += [str(e["message"]["id"]) for e in record.get("messagesDeleted", [])]
            gone = set(deleted)
            fetched = bounded_map(lambda mid: self._message(scope, labels, mid),
                                  [mid for mid in dict.fromkeys(added) if mid not in gone], self.max_concurrency)
            items = [i for i in fetched if i is not None]
            items += [Item(source_id=mid, deleted=True) for mid in dict.fromkeys(deleted)]
            page_token = page.get("nextPageToken")
            if page_token and records:
                # Mid-listing: resume after the last record seen (history ids are ordered).
                yield Batch(items, {"historyId": str(records[-1]["id"])})
                continue
            if page_token:
                raise ConnectorError("Gmail returned an empty history page with a continuation token")
            yield Batch(items, {"historyId": str(page["historyId"])})
            return

    def _message(self, scope: Scope, labels: Mapping[str, Label], message_id: str) -> Item | None:
        url = f"{self._user_url(scope)}/messages/{quote(message_id, safe='')}"
        response = self.http.request("GET", url, key=scope.id, params={"format": "raw"}, token=self._token(scope))
        if response.status_code == 404:
            return None  # deleted since it was listed; history reports the deletion
        body = self.http.expect(response).json()
        raw = str(body["raw"])
        data = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
        label_ids = [str(x) for x in body.get("labelIds", [])]
        return Item(source_id=message_id, data=data, folder=folder_for(label_ids, labels),
                    meta={"labels": label_names(label_ids, labels), "labelIds": label_ids,
                          "threadId": body.get("threadId"), "historyId": body.get("historyId"),
                          "internalDate": body.get("internalDate"),
                          **mailfacts.gmail_facts(body.get("internalDate"), label_ids)})
