"""Calendar API v3 (calendarList.list, events.list/insert/import), People API v1
(people.connections.list, people.createContact) and Tasks API v1 (tasklists.list/insert,
tasks.list/insert), as their discovery documents describe them.

Incremental sync: Calendar ``syncToken`` (expired → 410 ``fullSyncRequired``), People
``syncToken`` (expired → 400 ``FAILED_PRECONDITION`` with ErrorInfo reason ``EXPIRED_SYNC_TOKEN``);
Tasks has no delta, only ``updatedMin`` and ``showDeleted``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fakecloud import tokens
from fakecloud.google.auth import authorize
from fakecloud.google.errors import api_error
from fakecloud.google.pim_restore import PimRestoreRoutes
from fakecloud.google.store import GoogleStore
from fakecloud.google.workspace import Record, Workspace
from fakecloud.web import Request, Response, Router, json_response

CALENDAR_SCOPES = {"https://www.googleapis.com/auth/calendar", "https://www.googleapis.com/auth/calendar.readonly"}
PEOPLE_SCOPES = {"https://www.googleapis.com/auth/contacts", "https://www.googleapis.com/auth/contacts.readonly"}
TASKS_SCOPES = {"https://www.googleapis.com/auth/tasks", "https://www.googleapis.com/auth/tasks.readonly"}
EVENTS = r"/calendar/v3/calendars/(?P<calendar>[^/]+)/events"

Handler = Callable[[Request, str], Response]


def _page(request: Request, rows: list[Record], size_arg: str, default: int, cap: int) -> tuple[list[Record], str]:
    state = tokens.decode(request.arg("pageToken") or "") or {"o": 0}
    offset = int(state.get("o", 0))
    size = max(1, min(int(request.arg(size_arg) or default), cap))
    return rows[offset:offset + size], (tokens.encode({"o": offset + size}) if offset + size < len(rows) else "")


class PimService:
    def __init__(self, store: GoogleStore) -> None:
        self.store = store

    @property
    def ws(self) -> Workspace:
        return self.store.workspace

    def register(self, router: Router) -> None:
        cal, people, tasks = CALENDAR_SCOPES, PEOPLE_SCOPES, TASKS_SCOPES
        router.add("GET", r"/calendar/v3/users/me/calendarList", self._auth(cal, self.calendars))
        router.add("GET", EVENTS, self._auth(cal, self.list_events))
        router.add("POST", EVENTS, self._auth(cal, self.insert_event))
        router.add("POST", EVENTS + r"/import", self._auth(cal, self.insert_event))
        router.add("GET", r"/v1/people/me/connections", self._auth(people, self.connections))
        router.add("POST", r"/v1/people:createContact", self._auth(people, self.create_contact))
        router.add("GET", r"/tasks/v1/users/@me/lists", self._auth(tasks, self.task_lists))
        router.add("POST", r"/tasks/v1/users/@me/lists", self._auth(tasks, self.insert_task_list))
        router.add("GET", r"/tasks/v1/lists/(?P<list>[^/]+)/tasks", self._auth(tasks, self.list_tasks))
        router.add("POST", r"/tasks/v1/lists/(?P<list>[^/]+)/tasks", self._auth(tasks, self.insert_task))
        PimRestoreRoutes(lambda: self.ws).register(router, self._auth, cal, people, tasks)  # get/update for restores

    def _auth(self, scopes: set[str], handler: Handler) -> Callable[[Request], Response]:
        def wrapped(request: Request) -> Response:
            issued = authorize(self.store, request, scopes)
            if isinstance(issued, Response):
                return issued
            if self.store.user(issued.subject) is None:
                return api_error(401, "unauthorized_client", "Delegation denied for " + issued.subject)
            with self.store.lock:
                return handler(request, issued.subject.lower())

        return wrapped

    # --- Calendar ---------------------------------------------------------------------
    def _calendar(self, request: Request, email: str) -> str | None:
        key = request.params["calendar"]
        key = email if key == "primary" else key.lower()
        return key if key in self.ws.user(email).calendars else None

    def calendars(self, request: Request, email: str) -> Response:
        rows = [{"kind": "calendar#calendarListEntry", "id": cid, "summary": summary, "accessRole": "owner",
                 **({"primary": True} if cid == email else {})}
                for cid, summary in self.ws.user(email).calendars.items()]
        return json_response(200, {"kind": "calendar#calendarList", "items": rows})

    def list_events(self, request: Request, email: str) -> Response:
        calendar = self._calendar(request, email)
        if calendar is None:
            return api_error(404, "notFound", "Not Found")
        sync = request.arg("syncToken")
        records = self.ws.user(email).records["event"].values()
        if sync:
            state = tokens.decode(sync) or {}
            position = int(state.get("p", -1))
            if position < self.ws.user(email).floors.get("event", 0) or state.get("c") != calendar:
                return api_error(410, "fullSyncRequired", "Sync token is no longer valid, a full sync is required.")
            rows = [r for r in records if r.container == calendar and r.position > position]
        else:
            deleted = (request.arg("showDeleted") or "false") == "true"
            rows = [r for r in records if r.container == calendar and (deleted or not r.deleted)]
            if request.arg("iCalUID"):
                rows = [r for r in rows if r.body.get("iCalUID") == request.arg("iCalUID")]
        rows.sort(key=lambda r: r.position)
        chunk, next_page = _page(request, rows, "maxResults", 250, 2500)
        body: dict[str, Any] = {"kind": "calendar#events", "summary": calendar, "items": [r.body for r in chunk]}
        if next_page:
            body["nextPageToken"] = next_page
        else:
            body["nextSyncToken"] = tokens.encode({"p": self.ws.position, "c": calendar})
        return json_response(200, body)

    def insert_event(self, request: Request, email: str) -> Response:
        calendar = self._calendar(request, email)
        if calendar is None:
            return api_error(404, "notFound", "Not Found")
        body = request.json()
        if not isinstance(body, dict) or "start" not in body or "end" not in body:
            return api_error(400, "required", "Missing time range: start and end are required.")
        body = {k: v for k, v in body.items() if k not in ("id", "etag", "updated", "created", "kind")}
        if not request.path.endswith("/import"):
            body.pop("iCalUID", None)
        record = self.ws.put_record(email, "event", calendar, body)
        return json_response(200, record.body)

    # --- People -----------------------------------------------------------------------
    def connections(self, request: Request, email: str) -> Response:
        if not request.arg("personFields"):
            return api_error(400, "badRequest", "personFields mask is required. Please specify one or more valid "
                                                "paths.")
        sync = request.arg("syncToken")
        records = list(self.ws.user(email).records["contact"].values())
        if sync:
            state = tokens.decode(sync) or {}
            position = int(state.get("p", -1))
            if position < self.ws.user(email).floors.get("contact", 0):
                body = {"error": {"code": 400, "message": "Sync token is expired. Clear local cache and retry call "
                                  "without the sync token.", "status": "FAILED_PRECONDITION",
                                  "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                                               "reason": "EXPIRED_SYNC_TOKEN", "domain": "people.googleapis.com"}]}}
                return json_response(400, body)
            rows = [r for r in records if r.position > position]
        else:
            rows = [r for r in records if not r.deleted]
        rows.sort(key=lambda r: r.position)
        chunk, next_page = _page(request, rows, "pageSize", 100, 1000)
        body: dict[str, Any] = {"connections": [r.body for r in chunk], "totalPeople": len(rows),
                                "totalItems": len(rows)}
        if next_page:
            body["nextPageToken"] = next_page
        elif (request.arg("requestSyncToken") or "false") == "true":
            body["nextSyncToken"] = tokens.encode({"p": self.ws.position})
        return json_response(200, body)

    def create_contact(self, request: Request, email: str) -> Response:
        body = request.json()
        if not isinstance(body, dict):
            return api_error(400, "badRequest", "Invalid JSON payload received.")
        body = {k: v for k, v in body.items() if k not in ("resourceName", "etag", "metadata")}
        return json_response(200, self.ws.put_record(email, "contact", "connections", body).body)

    # --- Tasks ------------------------------------------------------------------------
    def task_lists(self, request: Request, email: str) -> Response:
        rows = list(self.ws.user(email).task_lists.values())
        return json_response(200, {"kind": "tasks#taskLists", "items": rows})

    def insert_task_list(self, request: Request, email: str) -> Response:
        title = str((request.json() or {}).get("title") or "")
        if not title:
            return api_error(400, "invalid", "Invalid Value")
        list_id = self.ws.task_list(email, title)
        return json_response(200, self.ws.user(email).task_lists[list_id])

    def list_tasks(self, request: Request, email: str) -> Response:
        list_id = request.params["list"]
        if list_id not in self.ws.user(email).task_lists:
            return api_error(404, "notFound", "Not Found")
        deleted = (request.arg("showDeleted") or "false") == "true"
        since = request.arg("updatedMin") or ""
        rows = [r for r in self.ws.user(email).records["task"].values()
                if r.container == list_id and (deleted or not r.deleted) and str(r.body.get("updated")) >= since]
        rows.sort(key=lambda r: r.position)
        chunk, next_page = _page(request, rows, "maxResults", 20, 100)
        body: dict[str, Any] = {"kind": "tasks#tasks", "items": [r.body for r in chunk]}
        if next_page:
            body["nextPageToken"] = next_page
        return json_response(200, body)

    def insert_task(self, request: Request, email: str) -> Response:
        list_id = request.params["list"]
        if list_id not in self.ws.user(email).task_lists:
            return api_error(404, "notFound", "Not Found")
        body = request.json()
        if not isinstance(body, dict):
            return api_error(400, "invalid", "Invalid Value")
        body = {k: v for k, v in body.items() if k not in ("id", "etag", "updated", "kind", "selfLink", "deleted")}
        return json_response(200, self.ws.put_record(email, "task", list_id, body).body)
