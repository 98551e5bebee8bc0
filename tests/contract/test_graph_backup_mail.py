"""Exchange mail backup through Graph against fakecloud as a real process: the contract suite,
every folder with its path, MIME sha256 equal to fakecloud's ``/_fakecloud/items``, backup metadata."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator

import pytest

from fakecloud.testing import FakeCloudProcess, generated_message, running_fakecloud
from kustos.sources.base import Item, Scope
from kustos.sources.graph.backup import GraphBackupConnector
from tests.contract.connector_contract import ConnectorContract, drain
from tests.contract.graph_backup_view import GraphSource

TENANT = "mailbackup.onmicrosoft.com"
USER = "olga@mailbackup.onmicrosoft.com"
FOLDERS = ("Inbox", "Inbox/Projects/2024", "Archive")
_counter = itertools.count()


@pytest.fixture(scope="module")
def fakecloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


class MailSource(GraphSource):
    tenant = TENANT

    def __init__(self, cloud: FakeCloudProcess) -> None:
        super().__init__(cloud, ["mail"])
        self.user_id = self.control.ms_user(TENANT, USER)
        self.backup = self.build()

    def connector(self) -> GraphBackupConnector:
        return self.backup

    def scope(self) -> Scope:
        return Scope(id=f"mail:{self.user_id}", kind="mailbox", name=USER)

    def create(self, count: int) -> list[bytes]:
        created = []
        for n in range(count):
            data = generated_message(next(_counter), "backup")
            self.control.seed("ms", TENANT, USER, "mail", FOLDERS[n % len(FOLDERS)], data)
            created.append(data)
        return created

    def delete(self, item: Item) -> None:
        self.control.remove("ms", TENANT, USER, "mail", f"{item.folder}/{item.source_id}")

    def invalidate_cursor(self) -> None:
        self.control.call("ms/invalidate_all_deltas", tenant=TENANT, user=self.user_id)


class TestMailBackupContract(ConnectorContract):
    @pytest.fixture
    def contract_source(self, fakecloud: FakeCloudProcess) -> MailSource:
        return MailSource(fakecloud)


def test_every_folder_kind_meta_and_sha256(fakecloud: FakeCloudProcess) -> None:
    source = MailSource(fakecloud)
    source.create(6)
    result = drain(source.backup, source.scope(), None)
    assert {i.kind for i in result.items} == {"mail"}
    assert sorted({i.folder for i in result.items}) == sorted(FOLDERS)
    ours = {f"{i.folder}/{i.source_id}": hashlib.sha256(i.data).hexdigest() for i in result.items}
    theirs = {row["path"]: row["sha256"] for row in source.control.items("ms", TENANT, "mail", USER)}
    assert ours == theirs and len(ours) == 6
    meta = result.items[0].meta
    assert meta["id"] == result.items[0].source_id and meta["changeKey"] and meta["receivedDateTime"]
    assert meta["categories"] == [] and meta["isRead"] is False and meta["importance"] == "normal"
    assert meta["flag"] == {"flagStatus": "notFlagged"}
    scopes = [s.id for s in source.backup.scopes()]
    assert f"mail:{source.user_id}" in scopes


def test_a_flagged_message_keeps_its_flag_in_the_backup_metadata(fakecloud: FakeCloudProcess) -> None:
    source = MailSource(fakecloud)
    flag = {"flagStatus": "flagged", "dueDateTime": {"dateTime": "2026-06-05T00:00:00.0000000", "timeZone": "UTC"}}
    source.control.seed("ms", TENANT, USER, "mail", "Inbox", generated_message(next(_counter), "flag"), {"flag": flag})
    [item] = drain(source.backup, source.scope(), None).items
    assert item.meta["flag"] == flag
