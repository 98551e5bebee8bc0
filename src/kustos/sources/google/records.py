"""Calendar, Contacts and Tasks backup: each record stored as the API's resource in canonical JSON
(sorted keys, UTF-8) — what a restore posts back.

* ``calendar``: every calendar of the user (``calendarList``), ``events.list`` with ``syncToken``;
  an event with ``status: cancelled`` is a deletion; 410 (``fullSyncRequired``) → that calendar is
  listed again with ``reset=True``. Cursor ``{calendar id: sync token}``.
* ``contacts``: ``people/me/connections`` with ``requestSyncToken``; a person with
  ``metadata.deleted`` is a deletion; an expired token (400 ``EXPIRED_SYNC_TOKEN``, or 410) → a full
  listing with ``reset=True``. Cursor ``{"syncToken": token}``.
* ``tasks``: no delta API: ``tasks.list`` with ``updatedMin`` (and ``showDeleted``) for what
  changed, then a full sweep of the ids to see deletions the window missed. Cursor
  ``{list id: {"updatedMin": newest updated seen, "etags": {task id: etag}}}``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar
from urllib.parse import quote

from kustos.sources.base import Batch, Cursor, Item, Scope
from kustos.sources.google.session import GoogleSession, error_reasons

PERSON_FIELDS = ("addresses,biographies,birthdays,emailAddresses,events,externalIds,genders,imClients,interests,"
                 "locations,memberships,metadata,names,nicknames,occupations,organizations,phoneNumbers,relations,"
                 "sipAddresses,urls,userDefined")


def canonical(row: Mapping[str, Any]) -> bytes:
    return json.dumps(dict(row), sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


class _Records:
    name: ClassVar[str]

    def __init__(self, session: GoogleSession, page_size: int = 250) -> None:
        self.session = session
        self.http = session.http
        self.page_size = page_size

    def scopes(self) -> Iterator[Scope]:
        for user in self.session.users():
            yield Scope(id=user.id, kind="user", name=user.name, meta=user.meta)

    def _get(self, scope: Scope, url: str, params: Mapping[str, Any]) -> Any:
        return self.session.json(url, scope.id, self.name, params)


class CalendarService(_Records):
    """The ``calendar`` backup service."""

    name: ClassVar[str] = "calendar"

    def _calendars(self, scope: Scope) -> list[Mapping[str, Any]]:
        rows: list[Mapping[str, Any]] = []
        page: str | None = None
        while True:
            body = self._get(scope, f"{self.session.calendar}/users/me/calendarList",
                             {"maxResults": "250", **({"pageToken": page} if page else {})})
            rows += body.get("items", [])
            page = body.get("nextPageToken")
            if not page:
                return rows

    def check(self, scope: Scope) -> None:
        self._calendars(scope)

    def fetch(self, scope: Scope, cursor: Cursor | None) -> Iterator[Batch]:
        state: dict[str, str] = {str(k): str(v) for k, v in (cursor or {}).items()}
        calendars = self._calendars(scope)
        live = {str(c["id"]) for c in calendars}
        dropped = [k for k in state if k not in live]
        for key in dropped:
            del state[key]
        yielded = False
        for calendar in calendars:
            for batch in self._calendar(scope, calendar, state):
                yielded = True
                yield batch
        if not yielded or dropped:
            yield Batch([], dict(state))

    def _calendar(self, scope: Scope, calendar: Mapping[str, Any], state: dict[str, str]) -> Iterator[Batch]:
        calendar_id = str(calendar["id"])
        folder = str(calendar.get("summary") or calendar_id)
        url = f"{self.session.calendar}/calendars/{quote(calendar_id, safe='@')}/events"
        token = state.get(calendar_id)
        reset = False
        page: str | None = None
        while True:
            params: dict[str, str] = {"maxResults": str(self.page_size)}
            if token:
                params["syncToken"] = token
            else:
                params["showDeleted"] = "false"
            if page:
                params["pageToken"] = page
            response = self.session.call("GET", url, scope.id, self.name, params=params)
            if response.status_code == 410 and token:  # fullSyncRequired: list the calendar again
                token, page, reset = None, None, True
                continue
            body = self.http.expect(response).json()
            items = [self._item(row, folder, calendar_id) for row in body.get("items", [])]
            page = body.get("nextPageToken")
            if not page:
                state[calendar_id] = str(body.get("nextSyncToken") or "")
            yield Batch(items, dict(state) if not page else None, reset=reset)
            if not page:
                return

    @staticmethod
    def _item(row: Mapping[str, Any], folder: str, calendar_id: str) -> Item:
        event_id = str(row["id"])
        if row.get("status") == "cancelled":
            return Item(source_id=event_id, kind="event", folder=folder, deleted=True)
        meta = {"summary": row.get("summary"), "eTag": row.get("etag"), "modified": row.get("updated"),
                "calendar_id": calendar_id, "iCalUID": row.get("iCalUID")}
        return Item(source_id=event_id, kind="event", folder=folder, data=canonical(row),
                    meta={k: v for k, v in meta.items() if v is not None})


class ContactsService(_Records):
    """The ``contacts`` backup service (People API connections)."""

    name: ClassVar[str] = "contacts"

    def check(self, scope: Scope) -> None:
        self._get(scope, f"{self.session.people}/people/me/connections", {"personFields": "names", "pageSize": "1"})

    def fetch(self, scope: Scope, cursor: Cursor | None) -> Iterator[Batch]:
        token = str((cursor or {}).get("syncToken") or "") or None
        reset = False
        page: str | None = None
        url = f"{self.session.people}/people/me/connections"
        while True:
            params = {"personFields": PERSON_FIELDS, "pageSize": str(min(self.page_size, 1000)),
                      "requestSyncToken": "true"}
            if token:
                params["syncToken"] = token
            if page:
                params["pageToken"] = page
            response = self.session.call("GET", url, scope.id, self.name, params=params)
            if token and (response.status_code == 410 or (
                    response.status_code == 400 and "EXPIRED_SYNC_TOKEN" in error_reasons(response))):
                token, page, reset = None, None, True
                continue
            body = self.http.expect(response).json()
            items = [self._item(row) for row in body.get("connections", [])]
            page = body.get("nextPageToken")
            yield Batch(items, None if page else {"syncToken": str(body.get("nextSyncToken") or "")}, reset=reset)
            if not page:
                return

    @staticmethod
    def _item(row: Mapping[str, Any]) -> Item:
        person_id = str(row["resourceName"]).rpartition("/")[2]
        if (row.get("metadata") or {}).get("deleted"):
            return Item(source_id=person_id, kind="contact", folder="Contacts", deleted=True)
        name = ((row.get("names") or [{}])[0]).get("displayName")
        meta = {"displayName": name, "eTag": row.get("etag"), "resourceName": row.get("resourceName")}
        return Item(source_id=person_id, kind="contact", folder="Contacts", data=canonical(row),
                    meta={k: v for k, v in meta.items() if v is not None})


class TasksService(_Records):
    """The ``tasks`` backup service (no delta: updatedMin plus a sweep of the ids)."""

    name: ClassVar[str] = "tasks"

    def _lists(self, scope: Scope) -> list[Mapping[str, Any]]:
        return list(self._get(scope, f"{self.session.tasks}/users/@me/lists", {"maxResults": "100"}).get("items", []))

    def check(self, scope: Scope) -> None:
        self._lists(scope)

    def _tasks(self, scope: Scope, list_id: str, extra: Mapping[str, str]) -> list[Mapping[str, Any]]:
        rows: list[Mapping[str, Any]] = []
        page: str | None = None
        url = f"{self.session.tasks}/lists/{quote(list_id, safe='')}/tasks"
        while True:
            body = self._get(scope, url, {"maxResults": "100", "showHidden": "true", "showCompleted": "true",
                                          **extra, **({"pageToken": page} if page else {})})
            rows += body.get("items", [])
            page = body.get("nextPageToken")
            if not page:
                return rows

    def fetch(self, scope: Scope, cursor: Cursor | None) -> Iterator[Batch]:
        state: dict[str, dict[str, Any]] = {str(k): dict(v) for k, v in (cursor or {}).items()}
        lists = self._lists(scope)
        live = {str(t["id"]) for t in lists}
        items: list[Item] = []
        for list_id in [k for k in state if k not in live]:  # a whole list is gone
            items += [Item(source_id=tid, kind="task", deleted=True) for tid in state.pop(list_id)["etags"]]
        for row in lists:
            list_id, folder = str(row["id"]), str(row.get("title") or row["id"])
            known = state.get(list_id)
            if known is None:
                rows = self._tasks(scope, list_id, {})
                state[list_id] = {"updatedMin": max((str(r.get("updated", "")) for r in rows), default=""),
                                  "etags": {str(r["id"]): str(r.get("etag")) for r in rows}}
                items += [self._item(r, folder, list_id) for r in rows]
                continue
            etags: dict[str, str] = dict(known.get("etags") or {})
            since = str(known.get("updatedMin") or "")
            changed = self._tasks(scope, list_id, {"showDeleted": "true", **({"updatedMin": since} if since else {})})
            for task in changed:
                task_id = str(task["id"])
                if task.get("deleted"):
                    if etags.pop(task_id, None) is not None:
                        items.append(Item(source_id=task_id, kind="task", folder=folder, deleted=True))
                elif etags.get(task_id) != str(task.get("etag")):
                    etags[task_id] = str(task.get("etag"))
                    items.append(self._item(task, folder, list_id))
                since = max(since, str(task.get("updated", "")))
            present = {str(t["id"]) for t in self._tasks(scope, list_id, {})}  # the sweep
            for task_id in [t for t in etags if t not in present]:
                del etags[task_id]
                items.append(Item(source_id=task_id, kind="task", folder=folder, deleted=True))
            state[list_id] = {"updatedMin": since, "etags": etags}
        yield Batch(items, state)

    @staticmethod
    def _item(row: Mapping[str, Any], folder: str, list_id: str) -> Item:
        meta = {"title": row.get("title"), "eTag": row.get("etag"), "modified": row.get("updated"),
                "tasklist_id": list_id}
        return Item(source_id=str(row["id"]), kind="task", folder=folder, data=canonical(row),
                    meta={k: v for k, v in meta.items() if v is not None})
