"""Gmail API v1: getProfile, labels.list, messages.list/get (format=raw), history.list."""

from __future__ import annotations

import base64
import email.message
import email.parser
import email.policy
import email.utils
import time
from collections.abc import Callable
from typing import Any

from fakecloud import tokens
from fakecloud.faults import Faults
from fakecloud.google.auth import authorize
from fakecloud.google.errors import api_error
from fakecloud.google.gmail_metadata import metadata_payload
from fakecloud.google.store import GmailMessage, GoogleStore, GoogleUser, HistoryRecord
from fakecloud.web import Request, Response, Router, json_response

SCOPES = {"https://mail.google.com/", "https://www.googleapis.com/auth/gmail.readonly",
          "https://www.googleapis.com/auth/gmail.modify"}
USER = r"/gmail/v1/users/(?P<user>[^/]+)"
HISTORY_KINDS = {"messageAdded": "messagesAdded", "messageDeleted": "messagesDeleted",
                 "labelAdded": "labelsAdded", "labelRemoved": "labelsRemoved"}

GmailHandler = Callable[[Request, GoogleUser], Response]


def _headers(raw: bytes) -> email.message.Message:
    return email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)


def _message_id(raw: bytes) -> str:
    return str(_headers(raw).get("Message-ID", "")).strip().strip("<>")


def _date_header(raw: bytes) -> int | None:
    try:
        return int(email.utils.parsedate_to_datetime(str(_headers(raw).get("Date", ""))).timestamp() * 1000)
    except (TypeError, ValueError, IndexError):
        return None


def _time_bounds(query: str) -> tuple[float, float] | None:
    """``after:N``/``before:N`` terms (epoch seconds; exclusive, as Gmail's search), or None."""
    after, before = float("-inf"), float("inf")
    for term in query.split():
        name, _, value = term.partition(":")
        if name.lower() not in ("after", "before") or not value.isdigit():
            return None
        if name.lower() == "after":
            after = int(value)
        else:
            before = int(value)
    return after, before


def _ref(message_id: str, thread_id: str, label_ids: list[str] | None = None) -> dict[str, Any]:
    ref: dict[str, Any] = {"id": message_id, "threadId": thread_id}
    if label_ids is not None:
        ref["labelIds"] = label_ids
    return ref


def _page(request: Request, default: int) -> tuple[int, int]:
    state = tokens.decode(request.arg("pageToken") or "") or {"o": 0}
    return int(state.get("o", 0)), max(1, min(int(request.arg("maxResults") or default), 500))


class GmailService:
    def __init__(self, store: GoogleStore, faults: Faults) -> None:
        self.store = store
        self.faults = faults

    def register(self, router: Router) -> None:
        router.add("GET", USER + r"/profile", self._user(self.profile))
        router.add("GET", USER + r"/labels", self._user(self.labels))
        router.add("GET", USER + r"/messages", self._user(self.list_messages))
        router.add("GET", USER + r"/messages/(?P<message>[^/]+)", self._user(self.get_message))
        router.add("GET", USER + r"/history", self._user(self.history))
        router.add("POST", USER + r"/labels", self._user(self.create_label))
        router.add("POST", USER + r"/messages/import", self._user(self.import_message))

    def _user(self, handler: GmailHandler, scopes: set[str] = SCOPES) -> Callable[[Request], Response]:
        def wrapped(request: Request) -> Response:
            issued = authorize(self.store, request, scopes)
            if isinstance(issued, Response):
                return issued
            key = request.params["user"]
            if key != "me" and key.lower() != issued.subject.lower():
                return api_error(403, "forbidden", f"Delegation denied for {issued.subject}")
            user = self.store.user(issued.subject)
            if user is None:
                return api_error(400, "invalidArgument", "Invalid user id specified in request/Delegation denied")
            if not user.mailbox:
                return api_error(400, "failedPrecondition", "Mail service not enabled")
            key = f"gmail:{user.email}"
            self.faults.enter(key)  # counted for tests of the client's per-user concurrency bound
            try:
                delay = self.faults.latency_for(request.path)
                if delay:
                    time.sleep(delay)
                with self.store.lock:
                    return handler(request, user)
            finally:
                self.faults.leave(key)

        return wrapped

    def profile(self, request: Request, user: GoogleUser) -> Response:
        threads = {m.thread_id for m in user.messages.values()}
        return json_response(200, {"emailAddress": user.email, "messagesTotal": len(user.messages),
                                   "threadsTotal": len(threads), "historyId": str(user.history_id)})

    def labels(self, request: Request, user: GoogleUser) -> Response:
        rows = []
        for label_id, (name, kind) in user.labels.items():
            row: dict[str, Any] = {"id": label_id, "name": name, "type": kind}
            if kind == "user":
                row.update({"messageListVisibility": "show", "labelListVisibility": "labelShow"})
            rows.append(row)
        return json_response(200, {"labels": rows})

    def create_label(self, request: Request, user: GoogleUser) -> Response:
        name = str((request.json() or {}).get("name") or "")
        if not name:
            return api_error(400, "invalidArgument", "Invalid label name")
        if any(existing.lower() == name.lower() for existing, _kind in user.labels.values()):
            return api_error(409, "alreadyExists", "Label name exists or conflicts")
        label_id = self.store.add_label(user.email, name)
        return json_response(200, {"id": label_id, "name": name, "type": "user"})

    def import_message(self, request: Request, user: GoogleUser) -> Response:
        body = request.json() or {}
        raw = str(body.get("raw") or "")
        if not raw:
            return api_error(400, "invalidArgument", "Missing raw message")
        labels = [str(x) for x in body.get("labelIds") or []]
        unknown = [x for x in labels if x not in user.labels]
        if unknown:
            return api_error(400, "invalidArgument", f"Invalid label: {unknown[0]}")
        data = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
        message_id = self.store.add_message(user.email, data, labels)
        source = (request.arg("internalDateSource") or "dateHeader").lower()  # the documented default
        if source not in ("dateheader", "receivedtime"):
            return api_error(400, "invalidArgument", f"Invalid value for internalDateSource: {source}")
        if source == "dateheader":  # as documented: from the Date header when valid, else the receive time
            sent = _date_header(data)
            if sent is not None:
                user.messages[message_id].internal_date = sent
        return json_response(200, _ref(message_id, user.messages[message_id].thread_id, labels))

    def list_messages(self, request: Request, user: GoogleUser) -> Response:
        spam_trash = (request.arg("includeSpamTrash") or "false").lower() == "true"
        wanted = set(request.query.get("labelIds", []))
        messages = sorted(user.messages.values(), key=lambda m: (-m.internal_date, m.id))
        messages = [m for m in messages
                    if (spam_trash or not {"SPAM", "TRASH"} & set(m.label_ids)) and wanted <= set(m.label_ids)]
        query = (request.arg("q") or "").strip()
        if query:  # only the operators restores use: rfc822msgid:<id>, after:<epoch s> before:<epoch s>
            if query.lower().startswith("rfc822msgid:"):
                wanted_id = query.split(":", 1)[1].strip().strip("<>")
                messages = [m for m in messages if _message_id(m.raw) == wanted_id]
            else:
                bounds = _time_bounds(query)
                if bounds is None:
                    return api_error(400, "invalidArgument", "Unsupported query")
                after, before = bounds
                messages = [m for m in messages if after * 1000 < m.internal_date < before * 1000]
        offset, size = _page(request, 100)
        body: dict[str, Any] = {"resultSizeEstimate": len(messages)}
        chunk = messages[offset:offset + size]
        if chunk:
            body["messages"] = [_ref(m.id, m.thread_id) for m in chunk]
        if offset + size < len(messages):
            body["nextPageToken"] = tokens.encode({"o": offset + size})
        return json_response(200, body)

    def get_message(self, request: Request, user: GoogleUser) -> Response:
        message = user.messages.get(request.params["message"])
        if message is None:
            return api_error(404, "notFound", "Requested entity was not found.")
        body = self._message_json(message, request.arg("format") or "full")
        if (request.arg("format") or "full") == "metadata":  # the headers only, as documented
            body["payload"] = metadata_payload(message.raw, request.query.get("metadataHeaders", []))
        return json_response(200, body)

    @staticmethod
    def _message_json(message: GmailMessage, fmt: str) -> dict[str, Any]:
        body: dict[str, Any] = {"id": message.id, "threadId": message.thread_id, "labelIds": message.label_ids}
        if fmt != "minimal":
            body["snippet"] = ""
        body.update({"sizeEstimate": len(message.raw), "historyId": str(message.history_id),
                     "internalDate": str(message.internal_date)})
        if fmt == "raw":
            body["raw"] = base64.urlsafe_b64encode(message.raw).decode()
        return body

    def history(self, request: Request, user: GoogleUser) -> Response:
        start = request.arg("startHistoryId")
        if not start or not start.isdigit():
            return api_error(400, "invalidArgument", "Missing or invalid startHistoryId")
        if int(start) < user.history_floor:
            return api_error(404, "notFound", "Requested entity was not found.")
        kinds = set(request.query.get("historyTypes", [])) or set(HISTORY_KINDS)
        records = [r for r in user.history if r.id > int(start) and r.kind in kinds]
        offset, size = _page(request, 100)
        body: dict[str, Any] = {"historyId": str(user.history_id)}
        chunk = records[offset:offset + size]
        if chunk:
            body["history"] = [self._record_json(r) for r in chunk]
        if offset + size < len(records):
            body["nextPageToken"] = tokens.encode({"o": offset + size})
        return json_response(200, body)

    @staticmethod
    def _record_json(record: HistoryRecord) -> dict[str, Any]:
        field = HISTORY_KINDS[record.kind]
        labels = record.label_ids if record.kind == "messageAdded" else None
        entry: dict[str, Any] = {"message": _ref(record.message_id, record.thread_id, labels)}
        if record.kind in ("labelAdded", "labelRemoved"):
            entry["labelIds"] = record.label_ids
        return {"id": str(record.id), "messages": [_ref(record.message_id, record.thread_id)], field: [entry]}
