"""What a restore of calendar events, contacts and tasks needs beyond listing and inserting, as the
discovery documents describe it: Calendar ``calendars.insert`` / ``calendars.get``; People
``people.get`` and ``people.updateContact`` (the request's ``etag`` must be the person's current one,
else 400 ``FAILED_PRECONDITION``; only the fields named in ``updatePersonFields`` change); Tasks
``tasks.get`` and ``tasks.update`` (PUT, the whole task).

Registered by :class:`fakecloud.google.pim.PimService` beside its own routes (same scopes, same
authorisation)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from typing import Any

from fakecloud.google.errors import api_error
from fakecloud.google.workspace import Workspace
from fakecloud.web import Request, Response, Router, json_response

Handler = Callable[[Request, str], Response]
Auth = Callable[[set[str], Handler], Callable[[Request], Response]]
PERSON_FIELDS = frozenset(("addresses", "biographies", "birthdays", "calendarUrls", "clientData", "emailAddresses",
                           "events", "externalIds", "genders", "imClients", "interests", "locales", "locations",
                           "memberships", "miscKeywords", "names", "nicknames", "occupations", "organizations",
                           "phoneNumbers", "relations", "sipAddresses", "urls", "userDefined"))


def _not_found() -> Response:
    return api_error(404, "notFound", "Requested entity was not found.")


class PimRestoreRoutes:
    def __init__(self, workspace: Callable[[], Workspace]) -> None:
        self._workspace = workspace

    @property
    def ws(self) -> Workspace:
        return self._workspace()

    def register(self, router: Router, auth: Auth, cal: set[str], people: set[str], tasks: set[str]) -> None:
        router.add("POST", r"/calendar/v3/calendars", auth(cal, self.insert_calendar))
        router.add("GET", r"/calendar/v3/calendars/(?P<calendar>[^/]+)", auth(cal, self.get_calendar))
        router.add("GET", r"/v1/people/(?P<person>[^/:]+)", auth(people, self.get_person))
        router.add("PATCH", r"/v1/people/(?P<person>[^/:]+):updateContact", auth(people, self.update_contact))
        router.add("GET", r"/tasks/v1/lists/(?P<list>[^/]+)/tasks/(?P<task>[^/]+)", auth(tasks, self.get_task))
        router.add("PUT", r"/tasks/v1/lists/(?P<list>[^/]+)/tasks/(?P<task>[^/]+)", auth(tasks, self.update_task))

    # --- Calendar ---------------------------------------------------------------------
    @staticmethod
    def _calendar(calendar_id: str, summary: str) -> dict[str, Any]:
        tag = hashlib.sha1(f"{calendar_id}\n{summary}".encode()).hexdigest()[:16]
        return {"kind": "calendar#calendar", "etag": f'"{tag}"',
                "id": calendar_id, "summary": summary, "timeZone": "UTC"}

    def insert_calendar(self, request: Request, email: str) -> Response:
        body = request.json()
        summary = str(body.get("summary") or "") if isinstance(body, dict) else ""
        if not summary:
            return api_error(400, "required", "Missing title.")
        calendar_id = f"c_{secrets.token_hex(16)}@group.calendar.google.com"
        self.ws.user(email).calendars[calendar_id] = summary
        return json_response(200, self._calendar(calendar_id, summary))

    def get_calendar(self, request: Request, email: str) -> Response:
        key = request.params["calendar"]
        key = email if key == "primary" else key.lower()
        calendars = self.ws.user(email).calendars
        if key not in calendars:
            return _not_found()
        return json_response(200, self._calendar(key, calendars[key]))

    # --- People -----------------------------------------------------------------------
    def _person(self, email: str, person: str) -> Any:
        record = self.ws.user(email).records["contact"].get(person)
        return None if record is None or record.deleted else record

    def get_person(self, request: Request, email: str) -> Response:
        if not request.arg("personFields"):
            return api_error(400, "badRequest", "personFields mask is required. Please specify one or more valid "
                                                "paths.")
        record = self._person(email, request.params["person"])
        return _not_found() if record is None else json_response(200, record.body)

    def update_contact(self, request: Request, email: str) -> Response:
        fields = [f for f in (request.arg("updatePersonFields") or "").split(",") if f]
        if not fields or any(f not in PERSON_FIELDS for f in fields):
            return api_error(400, "badRequest", "updatePersonFields mask is required and must name person fields.")
        record = self._person(email, request.params["person"])
        if record is None:
            return _not_found()
        body = request.json()
        if not isinstance(body, dict) or body.get("etag") != record.body.get("etag"):
            return api_error(400, "failedPrecondition", "Request person.etag is different than the current "
                             "person.etag. Clear local cache and get the latest person.")
        merged = {k: v for k, v in record.body.items() if k not in ("resourceName", "etag")}
        for name in fields:
            if name in body:
                merged[name] = body[name]
            else:
                merged.pop(name, None)
        updated = self.ws.put_record(email, "contact", record.container, merged, record_id=record.id)
        return json_response(200, updated.body)

    # --- Tasks ------------------------------------------------------------------------
    def _task(self, request: Request, email: str) -> Any:
        record = self.ws.user(email).records["task"].get(request.params["task"])
        if record is None or record.container != request.params["list"]:
            return None
        return record

    def get_task(self, request: Request, email: str) -> Response:
        if request.params["list"] not in self.ws.user(email).task_lists:
            return _not_found()
        record = self._task(request, email)
        return _not_found() if record is None else json_response(200, record.body)

    def update_task(self, request: Request, email: str) -> Response:
        if request.params["list"] not in self.ws.user(email).task_lists:
            return _not_found()
        record = self._task(request, email)
        if record is None or record.deleted:
            return _not_found()
        body = request.json()
        if not isinstance(body, dict):
            return api_error(400, "invalid", "Invalid Value")
        clean = {k: v for k, v in body.items() if k not in ("id", "etag", "updated", "kind", "selfLink", "deleted")}
        return json_response(200, self.ws.put_record(email, "task", record.container, clean, record_id=record.id).body)
