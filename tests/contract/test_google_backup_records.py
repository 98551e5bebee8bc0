"""Calendar, Contacts and Tasks backup (Calendar v3, People v1, Tasks v1) against fakecloud as a real process.

One contract suite per service: everything first, nothing second, changes and deletions, an expired
sync token → full listing with reset (Calendar 410, People 400 EXPIRED_SYNC_TOKEN; Tasks has no
token: it is always an ``updatedMin`` query plus a sweep of the ids), 429 with Retry-After obeyed.
Plus: records are the API's JSON, a task deleted outside the ``updatedMin`` window is still seen.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import ClassVar

import pytest

from fakecloud.testing import FakeCloudProcess, running_fakecloud
from kustos.sources.base import Connector, Item, Scope
from tests.contract.connector_contract import ConnectorContract, drain
from tests.contract.google_backup_view import DOMAIN, USER, ContractView, GoogleSource

_counter = itertools.count()


@pytest.fixture(scope="module")
def fakecloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


class ByField(ContractView):
    """Records keyed by one field of their JSON (the one the suite seeded uniquely)."""

    kinds: ClassVar[frozenset[str] | None] = None
    field: ClassVar[str]

    def key(self, item: Item) -> bytes:
        value = json.loads(item.data)[self.field]
        if isinstance(value, list):
            value = value[0]["displayName"]
        return str(value).encode()


class Events(ByField):
    field = "summary"


class Contacts(ByField):
    field = "names"


class Tasks(ByField):
    field = "title"


class RecordSource(GoogleSource):
    service: ClassVar[str]
    kind: ClassVar[str]
    view: ClassVar[type[ByField]]

    def __init__(self, cloud: FakeCloudProcess) -> None:
        super().__init__(cloud, [self.service])
        self.backup = self.build()

    def connector(self) -> Connector:
        return self.view(self.backup)  # type: ignore[arg-type]

    def scope(self) -> Scope:
        return Scope(id=f"{self.service}:{USER}", kind="user", name=USER)

    def path(self, name: str) -> str:
        return name

    def create(self, count: int) -> list[bytes]:
        created = []
        for _ in range(count):
            name = f"{self.kind} {next(_counter)}"
            self.control.seed("google", DOMAIN, USER, self.kind, self.path(name), b"")
            created.append(name.encode())
        return created

    def delete(self, item: Item) -> None:
        self.control.remove("google", DOMAIN, USER, self.kind, self.path(item.data.decode()))

    def invalidate_cursor(self) -> None:
        self.control.call("google/expire_sync", user=USER, kind=self.kind)


class CalendarSource(RecordSource):
    service, kind, view, throttle_prefix = "calendar", "event", Events, "/calendar/"


class ContactsSource(RecordSource):
    service, kind, view, throttle_prefix = "contacts", "contact", Contacts, "/v1/people"


class TasksSource(RecordSource):
    service, kind, view, throttle_prefix = "tasks", "task", Tasks, "/tasks/"

    def path(self, name: str) -> str:
        return f"Errands/{name}"


class TestCalendarBackupContract(ConnectorContract):
    @pytest.fixture
    def contract_source(self, fakecloud: FakeCloudProcess) -> CalendarSource:
        return CalendarSource(fakecloud)


class TestContactsBackupContract(ConnectorContract):
    @pytest.fixture
    def contract_source(self, fakecloud: FakeCloudProcess) -> ContactsSource:
        return ContactsSource(fakecloud)


class TestTasksBackupContract(ConnectorContract):
    supports_reset = False  # Tasks has no sync token to invalidate: every round is updatedMin + a sweep

    @pytest.fixture
    def contract_source(self, fakecloud: FakeCloudProcess) -> TasksSource:
        return TasksSource(fakecloud)


def test_events_are_the_calendar_json_with_their_calendar_as_folder(fakecloud: FakeCloudProcess) -> None:
    source = CalendarSource(fakecloud)
    event = {"summary": "Board meeting", "location": "Room 4", "description": "Quarterly",
             "start": {"dateTime": "2026-03-02T09:00:00Z"}, "end": {"dateTime": "2026-03-02T10:00:00Z"},
             "recurrence": ["RRULE:FREQ=MONTHLY;COUNT=3"], "attendees": [{"email": "max@backup.example"}]}
    source.control.seed("google", DOMAIN, USER, "event", "Board meeting", json.dumps(event).encode())
    result = drain(source.backup, source.scope(), None)
    [item] = result.items
    body = json.loads(item.data)
    assert {k: body[k] for k in event} == event
    assert item.folder == USER and item.kind == "event" and item.meta["iCalUID"] == body["iCalUID"]
    assert item.meta["eTag"] == body["etag"]


def test_contact_expired_token_answers_like_the_people_api(fakecloud: FakeCloudProcess) -> None:
    source = ContactsSource(fakecloud)
    source.create(2)
    first = drain(source.backup, source.scope(), None)
    source.invalidate_cursor()
    response = source.backup.session.call("GET", f"{source.backup.session.people}/people/me/connections", USER,
                                          "contacts", params={"personFields": "names",
                                                              "syncToken": first.cursor["syncToken"]})
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["reason"] == "EXPIRED_SYNC_TOKEN"
    again = drain(source.backup, source.scope(), first.cursor)
    assert again.reset and len(again.items) == 2


def test_task_deleted_outside_the_window_is_found_by_the_sweep(fakecloud: FakeCloudProcess) -> None:
    source = TasksSource(fakecloud)
    source.create(3)
    first = drain(source.backup, source.scope(), None)
    gone = first.items[1]
    cursor = dict(first.cursor)  # the updatedMin window moved past the deletion (as after a lost round)
    [list_id] = cursor
    cursor[list_id] = {**cursor[list_id], "updatedMin": "2999-01-01T00:00:00.000Z"}
    source.control.remove("google", DOMAIN, USER, "task", f"Errands/{json.loads(gone.data)['title']}")
    later = drain(source.backup, source.scope(), cursor)
    assert [i.source_id for i in later.deletions] == [gone.source_id] and later.items == []
