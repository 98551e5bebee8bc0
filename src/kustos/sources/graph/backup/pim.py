"""Calendars, contacts and To Do tasks backup: per container (calendar, contact folder, task list)
delta rounds, items stored as the Graph entity in canonical JSON.

Format (decided here, documented in the package README): each item's ``data`` is the Graph v1.0
entity (``event``, ``contact``, ``todoTask``) as canonical JSON (sorted keys, UTF-8, no
``@odata`` annotations); events carry their ``recurrence`` and, when ``hasAttachments``, an
``attachments`` array with the file attachments' ``contentBytes``. JSON keeps every property
Graph has (ICS/VCF would lose some) and is what a restore posts back; ICS and VCF are rendered
from it for downloads.

Cursor: ``{container id: delta link}``; containers that disappear drop out, new ones start a full
round; a 410 / resync code restarts that container with ``reset=True``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import quote

from kustos.sources.base import Batch, Cursor, Item, Scope
from kustos.sources.graph.backup.session import GraphSession
from kustos.sources.graph.delta import delta_round
from kustos.sources.http import iter_link_pages

log = logging.getLogger(__name__)

# calendarView/delta needs a fixed window; it stays the same for the life of a cursor.
CALENDAR_WINDOW = ("1970-01-01T00:00:00Z", "2100-01-01T00:00:00Z")
META = ("id", "changeKey", "createdDateTime", "lastModifiedDateTime", "categories")


@dataclass(frozen=True)
class Container:
    id: str
    path: str
    delta: str  # the first delta URL of a round


def canonical(row: Mapping[str, Any]) -> bytes:
    clean = {k: v for k, v in row.items() if not k.startswith("@odata.")}
    return json.dumps(clean, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


class _PimService:
    name: ClassVar[str]
    scope_kind: ClassVar[str] = "mailbox"
    item_kind: ClassVar[str]

    def __init__(self, session: GraphSession, page_size: int = 100) -> None:
        self.session = session
        self.http = session.http
        self.page_size = page_size

    def scopes(self) -> Iterator[Scope]:
        yield from self.session.user_scopes()  # users with a mailbox: calendars, contacts, To Do live there

    def check(self, scope: Scope) -> None:
        next(iter(self.containers(scope)), None)

    def containers(self, scope: Scope) -> list[Container]:
        raise NotImplementedError

    def extend(self, scope: Scope, row: dict[str, Any]) -> dict[str, Any]:
        return row

    def _list(self, scope: Scope, url: str) -> Iterator[Mapping[str, Any]]:
        for page in iter_link_pages(lambda link: self.http.get_json(link, key=scope.id), url):
            yield from page.get("value", [])

    def fetch(self, scope: Scope, cursor: Cursor | None) -> Iterator[Batch]:
        state: dict[str, str] = {str(k): str(v) for k, v in (cursor or {}).items()}
        containers = self.containers(scope)
        live = {c.id for c in containers}
        dropped = [key for key in state if key not in live]
        for key in dropped:
            del state[key]
        yielded = False
        for container in containers:
            for batch in self._round(scope, container, state):
                yielded = True
                yield batch
        if not yielded or dropped:
            yield Batch([], dict(state))

    def _round(self, scope: Scope, container: Container, state: dict[str, str]) -> Iterator[Batch]:
        for page in delta_round(self.http, state.get(container.id) or container.delta, container.delta,
                                key=scope.id, page_size=self.page_size, what=repr(container.path),
                                where=f"a {self.name} container of {scope.id}"):
            items = [self._item(scope, container, row) for row in page.rows]
            state[container.id] = page.link
            yield Batch(items, dict(state), reset=page.reset)

    def _item(self, scope: Scope, container: Container, row: Mapping[str, Any]) -> Item:
        item_id = str(row["id"])
        if "@removed" in row:
            return Item(source_id=item_id, kind=self.item_kind, folder=container.path, deleted=True,
                        meta={"container_id": container.id, "reason": (row.get("@removed") or {}).get("reason")})
        full = self.extend(scope, dict(row))
        meta = {key: full[key] for key in META if key in full}
        meta["container_id"] = container.id
        return Item(source_id=item_id, kind=self.item_kind, folder=container.path, data=canonical(full), meta=meta)


class CalendarService(_PimService):
    """The ``calendar`` backup service: every calendar, events with recurrence and attachments."""

    name: ClassVar[str] = "calendar"
    item_kind: ClassVar[str] = "event"

    def containers(self, scope: Scope) -> list[Container]:
        start, end = CALENDAR_WINDOW
        out = []
        for row in self._list(scope, self.session.user_url(scope.id, "/calendars?$top=100")):
            calendar = quote(str(row["id"]), safe="")
            out.append(Container(str(row["id"]), str(row.get("name") or "Calendar"), self.session.user_url(
                scope.id, f"/calendars/{calendar}/calendarView/delta?startDateTime={start}&endDateTime={end}")))
        return out

    def extend(self, scope: Scope, row: dict[str, Any]) -> dict[str, Any]:
        if row.get("hasAttachments"):
            event = quote(str(row["id"]), safe="")
            row["attachments"] = [dict(a) for a in self._list(
                scope, self.session.user_url(scope.id, f"/events/{event}/attachments"))]
        return row


class ContactsService(_PimService):
    """The ``contacts`` backup service: the default contacts folder and every contact folder."""

    name: ClassVar[str] = "contacts"
    item_kind: ClassVar[str] = "contact"

    def containers(self, scope: Scope) -> list[Container]:
        out = []
        for row in self._list(scope, self.session.user_url(scope.id, "/contactFolders?$top=100")):
            folder = quote(str(row["id"]), safe="")
            out.append(Container(str(row["id"]), str(row.get("displayName") or "Contacts"),
                                 self.session.user_url(scope.id, f"/contactFolders/{folder}/contacts/delta")))
        if not any(c.path == "Contacts" for c in out):  # Graph lists only the folders below the default one
            out.insert(0, Container("contacts", "Contacts", self.session.user_url(scope.id, "/contacts/delta")))
        return out


class TasksService(_PimService):
    """The ``tasks`` backup service: every Microsoft To Do list and its tasks."""

    name: ClassVar[str] = "tasks"
    item_kind: ClassVar[str] = "task"

    def containers(self, scope: Scope) -> list[Container]:
        return [Container(str(row["id"]), str(row.get("displayName") or "Tasks"), self.session.user_url(
                    scope.id, f"/todo/lists/{quote(str(row['id']), safe='')}/tasks/delta"))
                for row in self._list(scope, self.session.user_url(scope.id, "/todo/lists"))]
