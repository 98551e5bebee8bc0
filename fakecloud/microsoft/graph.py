"""Microsoft Graph v1.0 mail endpoints: users, mailFolders, message delta, ``$value``.

Faithful to the v1.0 reference: ``@odata.nextLink`` paging, per-folder message delta
with ``$skiptoken`` pages and a final ``@odata.deltaLink`` carrying ``$deltatoken``,
``@removed`` rows, 410 ``SyncStateNotFound`` for an invalidated token, app-role
checks (403), expiring bearer tokens (401) and a per-mailbox concurrency limit
(429 ``ApplicationThrottled``, like Exchange Online's 4 concurrent requests).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from fakecloud import tokens
from fakecloud.faults import Faults
from fakecloud.microsoft.errors import graph_error
from fakecloud.microsoft.shapes import ODATA, folder_json, message_json, removed_json, user_json
from fakecloud.microsoft.store import IssuedToken, MicrosoftStore, User
from fakecloud.web import Request, Response, Router, json_response

DIRECTORY_ROLES = {"User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}
MAIL_ROLES = {"Mail.Read", "Mail.ReadWrite"}
USER = r"/v1\.0/users/(?P<user>[^/]+)"


class GraphService:
    def __init__(self, store: MicrosoftStore, faults: Faults) -> None:
        self.store = store
        self.faults = faults
        self.mailbox_concurrency = 4
        self.retry_after_concurrency = 1

    def register(self, router: Router) -> None:
        router.add("GET", r"/v1\.0/users", self.list_users)
        router.add("GET", USER, self._mailbox(self.get_user, mailbox=False))
        router.add("GET", USER + r"/mailFolders", self._mailbox(self.list_folders))
        router.add("GET", USER + r"/mailFolders/(?P<folder>[^/]+)", self._mailbox(self.get_folder))
        router.add("GET", USER + r"/mailFolders/(?P<folder>[^/]+)/childFolders", self._mailbox(self.list_folders))
        router.add("GET", USER + r"/mailFolders/(?P<folder>[^/]+)/messages/delta", self._mailbox(self.delta))
        router.add("GET", USER + r"/mailFolders/(?P<folder>[^/]+)/messages", self._mailbox(self.list_messages))
        router.add("GET", USER + r"/messages/(?P<message>[^/]+)/\$value", self._mailbox(self.mime))

    # --- plumbing ---------------------------------------------------------------------
    def _auth(self, request: Request) -> IssuedToken | Response:
        token = request.bearer()
        if token is None:
            return graph_error(401, "InvalidAuthenticationToken", "Access token is empty.",
                               {"WWW-Authenticate": 'Bearer realm=""'})
        issued = self.store.tokens.get(token)
        if issued is None:
            return graph_error(401, "InvalidAuthenticationToken", "IDX14100: JWT is not well formed.")
        if issued.expires_at < time.time():
            return graph_error(401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid.")
        return issued

    def _mailbox(self, handler: Callable[[Request, IssuedToken, User], Response],
                 mailbox: bool = True) -> Callable[[Request], Response]:
        """Authenticate, check Mail.* roles, resolve the user and count concurrency per mailbox."""

        def wrapped(request: Request) -> Response:
            issued = self._auth(request)
            if isinstance(issued, Response):
                return issued
            user = self.store.user(issued.tenant, request.params["user"])
            if mailbox and not issued.app.roles & MAIL_ROLES:
                return graph_error(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
            if not mailbox and not issued.app.roles & DIRECTORY_ROLES:
                return graph_error(403, "Authorization_RequestDenied",
                                   "Insufficient privileges to complete the operation.")
            if user is None:
                return graph_error(404, "ErrorInvalidUser",
                                   f"The requested user '{request.params['user']}' is invalid.")
            if mailbox and user.mail is None:
                return graph_error(404, "MailboxNotEnabledForRESTAPI",
                                   "The mailbox is either inactive, soft-deleted, or is hosted on-premise.")
            key = f"graph:{user.id}"
            try:
                if self.faults.enter(key) > self.mailbox_concurrency:
                    self.faults.note_throttled(request.path, self.retry_after_concurrency)
                    return graph_error(429, "ApplicationThrottled",
                                       "Application is over its MailboxConcurrency limit.",
                                       {"Retry-After": str(self.retry_after_concurrency)})
                delay = self.faults.latency_for(request.path)
                if delay:
                    time.sleep(delay)
                with self.store.lock:
                    return handler(request, issued, user)
            finally:
                self.faults.leave(key)

        return wrapped

    @staticmethod
    def _link(request: Request, **extra: str) -> str:
        query = {k: v[0] for k, v in request.query.items() if k not in ("$skiptoken", "$skip", "$deltatoken")}
        query.update(extra)
        return f"{request.base_url}{request.path}?{urlencode(query, safe='$,')}"

    @staticmethod
    def _page_size(request: Request, default: int, param: str = "$top") -> int:
        prefer = request.headers.get("prefer", "")
        for part in prefer.split(","):
            name, _, value = part.strip().partition("=")
            if name == "odata.maxpagesize" and value.isdigit():
                return max(1, int(value))
        top = request.arg(param)
        return max(1, int(top)) if top and top.isdigit() else default

    # --- users ------------------------------------------------------------------------
    def list_users(self, request: Request) -> Response:
        issued = self._auth(request)
        if isinstance(issued, Response):
            return issued
        if not issued.app.roles & DIRECTORY_ROLES:
            return graph_error(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
        with self.store.lock:
            users = sorted(self.store.users.get(issued.tenant, {}).values(), key=lambda u: u.upn)
            state = tokens.decode(request.arg("$skiptoken") or "") or {"o": 0}
            offset, size = int(state.get("o", 0)), min(self._page_size(request, 100), 999)
            select = [s for s in (request.arg("$select") or "").split(",") if s]
            rows = []
            for user in users[offset:offset + size]:
                row = user_json(user)
                rows.append({k: v for k, v in row.items() if not select or k in select or k == "id"})
            body: dict[str, Any] = {"@odata.context": f"{ODATA}#users", "value": rows}
            if offset + size < len(users):
                body["@odata.nextLink"] = self._link(request, **{"$skiptoken": tokens.encode({"o": offset + size})})
            return json_response(200, body)

    def get_user(self, request: Request, issued: IssuedToken, user: User) -> Response:
        return json_response(200, {"@odata.context": f"{ODATA}#users/$entity", **user_json(user)})

    # --- folders ----------------------------------------------------------------------
    def list_folders(self, request: Request, issued: IssuedToken, user: User) -> Response:
        parent_key = request.params.get("folder")
        parent = self.store.folder(user, parent_key) if parent_key else user.folders[user.root_id]
        if parent is None:
            return graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        hidden = (request.arg("includeHiddenFolders") or "").lower() == "true"
        children = [f for f in user.folders.values() if f.parent_id == parent.id and (hidden or not f.hidden)]
        skip = int(request.arg("$skip") or 0)
        size = self._page_size(request, 10)
        rows = [folder_json(user, f) for f in children[skip:skip + size]]
        kind = "childFolders" if parent_key else "mailFolders"
        body: dict[str, Any] = {"@odata.context": f"{ODATA}#users('{user.id}')/{kind}", "value": rows}
        if skip + size < len(children):
            body["@odata.nextLink"] = self._link(request, **{"$skip": str(skip + size)})
        return json_response(200, body)

    def get_folder(self, request: Request, issued: IssuedToken, user: User) -> Response:
        folder = self.store.folder(user, request.params["folder"])
        if folder is None:
            return graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        return json_response(200, {"@odata.context": f"{ODATA}#users('{user.id}')/mailFolders/$entity",
                                   **folder_json(user, folder)})

    # --- messages ---------------------------------------------------------------------
    def delta(self, request: Request, issued: IssuedToken, user: User) -> Response:
        folder = self.store.folder(user, request.params["folder"])
        if folder is None:
            return graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        raw = request.arg("$deltatoken") or request.arg("$skiptoken")
        if raw is None:
            since, upto, offset = 0, user.seq, 0
        else:
            state = tokens.decode(raw)
            if state is None or state.get("f") != folder.id:
                return graph_error(400, "SyncStateInvalid", "The sync state is invalid.")
            if state.get("e") != folder.epoch:
                return graph_error(410, folder.invalid_code,
                                   "The sync state generation is not found. The delta token is expired "
                                   "and data must be synchronized again.")
            if request.arg("$deltatoken") is not None:
                since, upto, offset = int(state["s"]), user.seq, 0
            else:
                since, upto, offset = int(state["s"]), int(state["t"]), int(state["o"])
        size = self._page_size(request, 10)
        rows = self.store.delta_rows(user, folder.id, since, upto)
        select = [s for s in (request.arg("$select") or "").split(",") if s]
        value = [message_json(m, select) if m else removed_json(mid) for mid, m in rows[offset:offset + size]]
        body: dict[str, Any] = {"@odata.context": f"{ODATA}#Collection(message)", "value": value}
        base = {"f": folder.id, "e": folder.epoch, "s": since}
        if offset + size < len(rows):
            body["@odata.nextLink"] = self._link(request, **{"$skiptoken": tokens.encode(
                {**base, "t": upto, "o": offset + size})})
        else:
            body["@odata.deltaLink"] = self._link(request, **{"$deltatoken": tokens.encode({**base, "s": upto})})
        headers = {"Preference-Applied": f"odata.maxpagesize={size}"} if "prefer" in request.headers else {}
        return json_response(200, body, headers)

    def list_messages(self, request: Request, issued: IssuedToken, user: User) -> Response:
        """A folder's messages; ``$filter`` understands ``internetMessageId eq '…'`` and
        ``receivedDateTime ge T and receivedDateTime le T`` (what restores look up)."""
        folder = self.store.folder(user, request.params["folder"])
        if folder is None:
            return graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        rows = [m for m in user.messages.values() if m.folder_id == folder.id]
        wanted = (request.arg("$filter") or "").strip()
        if wanted:
            found = re.fullmatch(r"internetMessageId eq '((?:[^']|'')*)'", wanted)
            window = re.fullmatch(r"receivedDateTime ge (\S+) and receivedDateTime le (\S+)", wanted)
            if found is not None:
                rows = [m for m in rows if m.internet_message_id == found.group(1).replace("''", "'")]
            elif window is not None and all(_utc(t) is not None for t in window.groups()):
                low, high = _utc(window.group(1)), _utc(window.group(2))
                rows = [m for m in rows if low <= _utc(m.received) <= high]  # type: ignore[operator]
            else:
                return graph_error(400, "ErrorInvalidUrlQueryFilter", "The query filter contains one or more "
                                   "invalid nodes.")
        select = [s for s in (request.arg("$select") or "").split(",") if s]
        return json_response(200, {"@odata.context": f"{ODATA}#Collection(message)",
                                   "value": [message_json(m, select) for m in rows]})

    def mime(self, request: Request, issued: IssuedToken, user: User) -> Response:
        message = user.messages.get(request.params["message"])
        if message is None:
            return graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        return Response(200, message.mime, {"Content-Type": "text/plain"})


def _utc(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
