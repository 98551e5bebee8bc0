"""Calendar events, contacts and tasks back into Google (the record half of ``restore.py``).

* Events go back into the calendar they came from (``calendar_id`` in the item's metadata): the source
  user's primary calendar becomes the target user's primary calendar; another calendar is used when the
  target user has it in their calendar list, else the target's calendar of the same name, else a new
  calendar of that name is created (a calendar that cannot be created is a clear error). Imported with
  their ``iCalUID``; under ``skip`` an event whose iCalUID is already in that calendar is skipped.
* Contacts are looked up by ``resourceName``: one that still exists is skipped (``skip``) or updated in
  place with its current etag, every backed-up person field written (``replace``); ``copy`` and a
  contact that no longer exists create a new one. A contact created by a restore carries its original
  ``resourceName`` in ``clientData`` (:data:`ORIGIN_KEY`), so restoring the same snapshot again finds
  that copy instead of creating the contact a second time.
* Tasks are looked up by id in their list (``tasklist_id`` in the metadata, else the list of the same
  title, else a new list): one that still exists is skipped (``skip``) or overwritten (``replace``,
  tasks.update); ``copy`` and a task that no longer exists insert a new one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from kustos.sources.google.records import PERSON_FIELDS
from kustos.sources.google.session import GoogleSession

RESTORED, SKIPPED = "restored", "skipped"
EVENT_DROP = {"id", "etag", "htmlLink", "created", "updated", "creator", "organizer", "kind", "sequence",
              "hangoutLink", "conferenceData", "status"}
TASK_DROP = {"id", "etag", "selfLink", "updated", "kind", "parent", "position", "links", "webViewLink", "deleted",
             "hidden", "assignmentInfo"}
CONTACT_DROP = {"resourceName", "etag", "metadata", "photos", "coverPhotos", "memberships"}
ORIGIN_KEY = "kustos.restoredFrom"  # clientData key: the resourceName a restored contact was created from
# Every person field the backup reads that updateContact may write (replace: absent ones are cleared).
UPDATE_FIELDS = ",".join(f for f in PERSON_FIELDS.split(",") if f not in ("metadata", "memberships"))


class RecordRestoreError(ValueError):
    """A record that cannot go back (e.g. its calendar can neither be found nor created)."""


class RecordRestorer:
    def __init__(self, session: GoogleSession) -> None:
        self.session = session
        self.http = session.http
        self._calendars: dict[tuple[str, str, str], str] = {}
        self._lists: dict[tuple[str, str, str], str] = {}
        self._origins: dict[str, dict[str, str]] = {}  # user -> original resourceName -> restored copy

    # --- helpers ----------------------------------------------------------------------
    def _send(self, method: str, url: str, user: str, service: str, body: Mapping[str, Any],
              params: Mapping[str, str] | None = None) -> Any:
        response = self.session.call(method, url, user, service, write=True, params=params,
                                     content=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
        return self.http.expect(response).json()

    def _find(self, url: str, user: str, service: str, params: Mapping[str, str] | None = None) -> Any:
        """The resource at ``url``, or None when the service answers 404 (it is gone)."""
        response = self.session.call("GET", url, user, service, params=params)
        if response.status_code in (404, 410):
            return None
        return self.http.expect(response).json()

    # --- events -----------------------------------------------------------------------
    def event(self, user: str, source_user: str, folder: str, meta: Mapping[str, Any], body: dict[str, Any],
              conflict: str) -> str:
        calendar = self.calendar_for(user, source_user, folder, str(meta.get("calendar_id") or ""))
        events = f"{self.session.calendar}/calendars/{quote(calendar, safe='@')}/events"
        uid = body.get("iCalUID")
        if uid and conflict == "skip":
            found = self.session.json(events, user, "calendar", {"iCalUID": str(uid), "showDeleted": "false"})
            if found.get("items"):
                return SKIPPED
        clean = {k: v for k, v in body.items() if k not in EVENT_DROP}
        if uid and conflict != "copy":
            self._send("POST", f"{events}/import", user, "calendar", clean)
        else:
            clean.pop("iCalUID", None)
            self._send("POST", events, user, "calendar", clean)
        return RESTORED

    def calendar_for(self, user: str, source_user: str, name: str, calendar_id: str) -> str:
        """The target user's calendar for an event of ``calendar_id`` (called ``name``) of ``source_user``."""
        if not calendar_id or calendar_id.lower() == source_user.lower():
            return "primary"
        key = (user.lower(), calendar_id, name)
        if key not in self._calendars:
            listed = self._calendar_list(user)
            found = next((cid for cid in listed if cid.lower() == calendar_id.lower()), None)
            found = found or next((cid for cid, summary in listed.items() if name and summary == name), None)
            if found is None:
                summary = name or calendar_id
                response = self.session.call("POST", f"{self.session.calendar}/calendars", user, "calendar",
                                             write=True, content=json.dumps({"summary": summary}).encode(),
                                             headers={"Content-Type": "application/json"})
                if response.status_code != 200:
                    error = self.http.on_error(response)
                    raise RecordRestoreError(f"the event's calendar {summary!r} does not exist for {user} and could "
                                             f"not be created: {error}")
                found = str(response.json()["id"])
            self._calendars[key] = found
        return self._calendars[key]

    def _calendar_list(self, user: str) -> dict[str, str]:
        rows: dict[str, str] = {}
        page: str | None = None
        while True:
            body = self.session.json(f"{self.session.calendar}/users/me/calendarList", user, "calendar",
                                     {"maxResults": "250", **({"pageToken": page} if page else {})})
            rows.update({str(r["id"]): str(r.get("summary") or "") for r in body.get("items", [])})
            page = body.get("nextPageToken")
            if not page:
                return rows

    # --- contacts ---------------------------------------------------------------------
    def contact(self, user: str, meta: Mapping[str, Any], body: dict[str, Any], conflict: str) -> str:
        clean = {k: v for k, v in body.items() if k not in CONTACT_DROP}
        resource = str(meta.get("resourceName") or body.get("resourceName") or "")
        if conflict != "copy" and resource.startswith("people/"):
            existing = self._person(user, resource)
            if existing is None and resource in self._restored(user):  # gone, but a restore made a copy
                existing = self._person(user, self._restored(user)[resource])
            if existing is not None:
                if conflict == "skip":
                    return SKIPPED
                url = f"{self.session.people}/{quote(str(existing['resourceName']), safe='/')}"
                self._send("PATCH", f"{url}:updateContact", user, "contacts", {**clean, "etag": existing.get("etag")},
                           params={"updatePersonFields": UPDATE_FIELDS})
                return RESTORED
        if resource.startswith("people/"):
            tags = [d for d in clean.get("clientData") or [] if d.get("key") != ORIGIN_KEY]
            clean["clientData"] = [*tags, {"key": ORIGIN_KEY, "value": resource}]
        created = self._send("POST", f"{self.session.people}/people:createContact", user, "contacts", clean)
        if resource.startswith("people/") and created.get("resourceName"):
            self._restored(user)[resource] = str(created["resourceName"])
        return RESTORED

    def _person(self, user: str, resource: str) -> dict[str, Any] | None:
        """The contact (with ``resourceName`` and ``etag``), or None when it is gone or deleted."""
        found = self._find(f"{self.session.people}/{quote(resource, safe='/')}", user, "contacts",
                           {"personFields": "metadata"})
        if found is None or (found.get("metadata") or {}).get("deleted"):
            return None
        return {**found, "resourceName": found.get("resourceName") or resource}

    def _restored(self, user: str) -> dict[str, str]:
        """Original resourceName -> the contact a restore created from it, read once per user."""
        key = user.lower()
        if key not in self._origins:
            found: dict[str, str] = {}
            page = ""
            while True:
                params = {"personFields": "clientData", "pageSize": "1000", **({"pageToken": page} if page else {})}
                body = self.session.json(f"{self.session.people}/people/me/connections", user, "contacts", params)
                for person in body.get("connections", []):
                    for tag in person.get("clientData") or []:
                        if tag.get("key") == ORIGIN_KEY and person.get("resourceName"):
                            found[str(tag.get("value"))] = str(person["resourceName"])
                page = str(body.get("nextPageToken") or "")
                if not page:
                    break
            self._origins[key] = found
        return self._origins[key]

    # --- tasks ------------------------------------------------------------------------
    def task(self, user: str, title: str, meta: Mapping[str, Any], body: dict[str, Any], conflict: str) -> str:
        list_id = self.list_for(user, title, str(meta.get("tasklist_id") or ""))
        base = f"{self.session.tasks}/lists/{quote(list_id, safe='')}/tasks"
        task_id = str(body.get("id") or "")
        clean = {k: v for k, v in body.items() if k not in TASK_DROP}
        if conflict != "copy" and task_id:
            url = f"{base}/{quote(task_id, safe='')}"
            existing = self._find(url, user, "tasks")
            if existing is not None and not existing.get("deleted"):
                if conflict == "skip":
                    return SKIPPED
                self._send("PUT", url, user, "tasks", {**clean, "id": task_id})
                return RESTORED
        self._send("POST", base, user, "tasks", clean)
        return RESTORED

    def list_for(self, user: str, title: str, list_id: str) -> str:
        """The task list the task came from when the target user has it, else the one of its title
        (created when missing)."""
        key = (user.lower(), list_id, title)
        if key not in self._lists:
            lists = self.session.json(f"{self.session.tasks}/users/@me/lists", user, "tasks", {"maxResults": "100"})
            rows = [r for r in lists.get("items", []) if r.get("id")]
            found = next((str(r["id"]) for r in rows if list_id and r["id"] == list_id), None)
            found = found or next((str(r["id"]) for r in rows if r.get("title") == title), None)
            if found is None:
                found = str(self._send("POST", f"{self.session.tasks}/users/@me/lists", user, "tasks",
                                       {"title": title})["id"])
            self._lists[key] = found
        return self._lists[key]

