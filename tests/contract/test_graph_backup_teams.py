"""Teams backup through Graph against fakecloud as a real process: the contract suite on channel
threads, replies inside their thread, standard and private channels, channel files with sha256
equal to fakecloud's ``/_fakecloud/items``, the team calendar, and chats read incrementally."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterator
from typing import ClassVar

import pytest

from fakecloud.testing import FakeCloudProcess, running_fakecloud
from kustos.sources.base import Item, Scope
from tests.contract.connector_contract import ConnectorContract, drain
from tests.contract.graph_backup_view import ContractView, GraphSource

TENANT = "teams.onmicrosoft.com"
ANN, BOB = "ann@teams.onmicrosoft.com", "bob@teams.onmicrosoft.com"
ICS = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:offsite\r\nSUMMARY:Offsite\r\n"
       b"DTSTART:20260105T090000Z\r\nDTEND:20260105T170000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
_counter = itertools.count()


@pytest.fixture(scope="module")
def fakecloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


def body(item: Item) -> str:
    return str(json.loads(item.data)["body"]["content"])


class ThreadsByBody(ContractView):
    """Contract view: channel threads only, keyed by the root message's body."""

    name: ClassVar[str] = "graph-backup-threads"
    kinds = frozenset({"channelmessage"})

    def key(self, item: Item) -> bytes:
        return body(item).encode()


class TeamSource(GraphSource):
    tenant = TENANT

    def __init__(self, cloud: FakeCloudProcess) -> None:
        super().__init__(cloud, ["teams"])
        self.control.seed("ms", TENANT, ANN, "channelmessage", "Sales/General", b"<p>welcome</p>")
        self.control.remove("ms", TENANT, ANN, "channelmessage",
                            self.control.items("ms", TENANT, "channelmessage")[0]["path"])
        self.backup = self.build()
        self.team = next(s for s in self.backup.scopes() if s.kind == "team")
        self.first = True

    def connector(self) -> ThreadsByBody:
        return ThreadsByBody(self.backup)

    def scope(self) -> Scope:
        return self.team

    def create(self, count: int) -> list[bytes]:
        bodies = []
        for n in range(count):
            text = f"<p>note {next(_counter)}</p>"
            self.control.seed("ms", TENANT, ANN, "channelmessage", ("Sales/General", "Sales/Deals")[n % 2],
                              text.encode(), {"membershipType": "private"} if n % 2 else {})
            bodies.append(text.encode())
        return bodies

    def delete(self, item: Item) -> None:
        path = next(r["path"] for r in self.control.items("ms", TENANT, "channelmessage")
                    if r["path"].endswith("/" + item.source_id))
        self.control.remove("ms", TENANT, ANN, "channelmessage", path)

    def invalidate_cursor(self) -> None:
        for channel in ("Sales/General", "Sales/Deals"):
            self.control.ms_invalidate_delta(TENANT, "channelmessage", path=channel)


class TestTeamsChannelContract(ConnectorContract):
    @pytest.fixture
    def contract_source(self, fakecloud: FakeCloudProcess) -> TeamSource:
        return TeamSource(fakecloud)


@pytest.fixture
def source(fakecloud: FakeCloudProcess) -> TeamSource:
    return TeamSource(fakecloud)


def test_replies_come_inside_their_thread(source: TeamSource) -> None:
    root = source.control.seed("ms", TENANT, ANN, "channelmessage", "Sales/General", b"<p>plan?</p>")
    first = drain(source.backup, source.team, None)
    [thread] = [i for i in first.items if i.kind == "channelmessage"]
    assert json.loads(thread.data)["replies"] == [] and thread.folder == "General"
    source.control.seed("ms", TENANT, BOB, "channelmessage", "Sales/General", b"<p>yes</p>", {"replyTo": root["id"]})
    later = drain(source.backup, source.team, first.cursor)
    [again] = [i for i in later.items if i.kind == "channelmessage"]
    replies = json.loads(again.data)["replies"]
    assert again.source_id == root["id"] and [r["body"]["content"] for r in replies] == ["<p>yes</p>"]
    assert again.meta["replies"] == 1 and again.meta["membershipType"] == "standard"


def test_channel_files_and_team_calendar(source: TeamSource) -> None:
    source.control.seed("ms", TENANT, ANN, "file", "/General/minutes.docx", b"minutes" * 100,
                        {"site": "Sales"})
    source.control.seed("ms", TENANT, ANN, "event", "groups/Sales", ICS)
    first = drain(source.backup, source.team, None)
    files = [i for i in first.items if i.kind == "file"]
    assert [(i.folder, i.meta["path"]) for i in files] == [("Files/General", "Files/General/minutes.docx")]
    assert files[0].stream is not None
    assert hashlib.sha256(b"".join(files[0].stream())).hexdigest() == hashlib.sha256(b"minutes" * 100).hexdigest()
    [event] = [i for i in first.items if i.kind == "event"]
    assert event.folder == "Calendar" and json.loads(event.data)["subject"] == "Offsite"
    again = drain(source.backup, source.team, first.cursor)
    assert again.items == [] and again.deletions == []
    source.control.remove("ms", TENANT, ANN, "event", f"groups/Sales/{event.source_id}")
    gone = drain(source.backup, source.team, first.cursor)
    assert [(d.kind, d.source_id) for d in gone.deletions] == [("event", event.source_id)]


def test_chats_are_read_incrementally(source: TeamSource) -> None:
    source.control.seed("ms", TENANT, ANN, "chatmessage", "Lunch", b"Pizza?", {"members": [BOB]})
    source.control.seed("ms", TENANT, BOB, "chatmessage", "Lunch", b"Yes!")
    scopes = {s.name: s for s in source.backup.scopes() if s.kind == "chats"}
    bob = scopes[BOB]
    assert bob.id.startswith("teams:chats/")
    first = drain(source.backup, bob, None)
    assert sorted(body(i) for i in first.items) == ["Pizza?", "Yes!"]
    assert {(i.kind, i.folder) for i in first.items} == {("chatmessage", "Lunch")}
    assert drain(source.backup, bob, first.cursor).items == []
    source.control.seed("ms", TENANT, ANN, "chatmessage", "Lunch", b"Booked.")
    later = drain(source.backup, bob, first.cursor)
    assert [body(i) for i in later.items] == ["Booked."]


def test_a_team_calendar_refused_to_the_app_is_skipped_and_the_rest_backed_up(source: TeamSource) -> None:
    """Graph documents group calendars as delegated-only: a 403 there skips the calendar for this round
    (events kept so far are not reported deleted) and the team's threads and files are still read."""
    source.control.seed("ms", TENANT, ANN, "event", "groups/Sales", ICS)
    first = drain(source.backup, source.team, None)
    assert [i.kind for i in first.items].count("event") == 1
    source.control.seed("ms", TENANT, ANN, "channelmessage", "Sales/General", b"<p>after the refusal</p>")
    group = source.team.id.removeprefix("teams:")
    source.control.throttle(f"/v1.0/groups/{group}/events", count=1, retry_after=0, status=403)
    later = drain(source.backup, source.team, first.cursor)
    assert [body(i) for i in later.items if i.kind == "channelmessage"] == ["<p>after the refusal</p>"]
    assert [i for i in later.items if i.kind == "event"] == [] and later.deletions == []
    again = drain(source.backup, source.team, later.cursor)  # readable again: nothing new, nothing deleted
    assert again.items == [] and again.deletions == []
