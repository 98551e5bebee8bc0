"""Calendar, contacts and To Do backup through Graph against fakecloud as a real process.

The contract suite per service (items keyed by the value the test seeded: event subject, contact
name, task title, read from the backed-up JSON), plus recurrence and attachments kept in the
event JSON, container paths, and item ids equal to fakecloud's ``/_fakecloud/items``.
"""

from __future__ import annotations

import base64
import itertools
import json
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from fakecloud.testing import FakeCloudProcess, running_fakecloud
from kustos.sources.base import Item, Scope
from kustos.sources.graph.backup import GraphBackupConnector
from tests.contract.connector_contract import ConnectorContract, drain
from tests.contract.graph_backup_view import ContractView, GraphSource

TENANT = "pim.onmicrosoft.com"
USER = "pia@pim.onmicrosoft.com"
_counter = itertools.count()


def ics(summary: str, rrule: str = "") -> bytes:
    return (f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:{summary}\r\nSUMMARY:{summary}\r\n"
            f"DTSTART:20260105T090000Z\r\nDTEND:20260105T091500Z\r\n{rrule}END:VEVENT\r\nEND:VCALENDAR\r\n").encode()


def vcf(name: str) -> bytes:
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:{name}\r\nN:{name};;;;\r\nEND:VCARD\r\n".encode()


# service -> (seed kind, containers, content for a key, JSON field holding the key)
SERVICES: dict[str, tuple[str, tuple[str, ...], Any, str]] = {
    "calendar": ("event", ("Calendar", "Team plans"), ics, "subject"),
    "contacts": ("contact", ("Contacts", "Suppliers"), vcf, "displayName"),
    "tasks": ("task", ("Tasks", "Errands"), lambda key: json.dumps({"title": key}).encode(), "title"),
}


@pytest.fixture(scope="module")
def fakecloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


class KeyedByField(ContractView):
    """Contract view: each item's ``data`` replaced by the seeded key found in its JSON."""

    name: ClassVar[str] = "graph-backup-keyed"

    def __init__(self, inner: GraphBackupConnector, field: str) -> None:
        super().__init__(inner)
        self.field = field

    def key(self, item: Item) -> bytes:
        return str(json.loads(item.data)[self.field]).encode()


class PimSource(GraphSource):
    tenant = TENANT

    def __init__(self, cloud: FakeCloudProcess, service: str) -> None:
        super().__init__(cloud, [service])
        self.service = service
        self.kind, self.containers, self.content, self.field = SERVICES[service]
        self.user_id = self.control.ms_user(TENANT, USER)
        self.backup = self.build()

    def connector(self) -> KeyedByField:
        return KeyedByField(self.backup, self.field)

    def scope(self) -> Scope:
        return Scope(id=f"{self.service}:{self.user_id}", kind="mailbox", name=USER)

    def create(self, count: int) -> list[bytes]:
        keys = []
        for n in range(count):
            key = f"{self.kind}-{next(_counter)}"
            self.control.seed("ms", TENANT, USER, self.kind, self.containers[n % 2], self.content(key))
            keys.append(key.encode())
        return keys

    def delete(self, item: Item) -> None:
        self.control.remove("ms", TENANT, USER, self.kind, f"{item.folder}/{item.source_id}")

    def invalidate_cursor(self) -> None:
        self.control.ms_invalidate_delta(TENANT, self.kind, USER)


class _PimContract(ConnectorContract):
    service: ClassVar[str]

    @pytest.fixture
    def contract_source(self, fakecloud: FakeCloudProcess) -> PimSource:
        return PimSource(fakecloud, self.service)


class TestCalendarBackupContract(_PimContract):
    service = "calendar"


class TestContactsBackupContract(_PimContract):
    service = "contacts"


class TestTasksBackupContract(_PimContract):
    service = "tasks"


@pytest.mark.parametrize("service", list(SERVICES))
def test_items_match_fakecloud_with_container_paths(fakecloud: FakeCloudProcess, service: str) -> None:
    source = PimSource(fakecloud, service)
    source.create(4)
    result = drain(source.backup, source.scope(), None)
    assert {i.kind for i in result.items} == {source.kind}
    ours = sorted(f"{i.folder}/{i.source_id}" for i in result.items)
    theirs = sorted(row["path"] for row in source.control.items("ms", TENANT, source.kind, USER))
    assert ours == theirs and len(ours) == 4
    assert sorted({i.folder for i in result.items}) == sorted(source.containers)
    item = result.items[0]
    assert item.meta["id"] == item.source_id and item.meta["lastModifiedDateTime"]
    assert json.loads(item.data)["id"] == item.source_id


def test_event_json_keeps_recurrence_and_attachments(fakecloud: FakeCloudProcess) -> None:
    source = PimSource(fakecloud, "calendar")
    attachment = b"%PDF-1.4 agenda"
    source.control.seed("ms", TENANT, USER, "event", "Calendar",
                        ics("Standup", "RRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10\r\n"),
                        {"attachments": [{"name": "agenda.pdf", "contentType": "application/pdf",
                                          "content_b64": base64.b64encode(attachment).decode()}]})
    result = drain(source.backup, source.scope(), None)
    [event] = result.items
    body = json.loads(event.data)
    assert body["subject"] == "Standup" and body["type"] == "seriesMaster"
    assert body["recurrence"]["pattern"]["type"] == "weekly"
    assert body["recurrence"]["pattern"]["daysOfWeek"] == ["monday", "wednesday"]
    assert [(a["name"], base64.b64decode(a["contentBytes"])) for a in body["attachments"]] == [
        ("agenda.pdf", attachment)]
    assert not any(key.startswith("@odata.") for key in body)
