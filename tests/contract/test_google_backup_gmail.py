"""Gmail backup (the ``gmail`` service of the Google Workspace connection) against fakecloud as a real process.

The shared contract suite (messages compared byte for byte as raw RFC 822: everything first, nothing
second, changes and deletions, expired history → full listing with reset, 429 with Retry-After obeyed),
plus: items are kind ``mail`` named ``<id>.eml`` in their label's folder with every label kept.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import ClassVar

import pytest

from fakecloud.testing import FakeCloudProcess, generated_message, running_fakecloud
from kustos.sources.base import Connector, Item, Scope
from tests.contract.connector_contract import ConnectorContract, drain
from tests.contract.google_backup_view import DOMAIN, USER, ContractView, GoogleSource

_counter = itertools.count()


@pytest.fixture(scope="module")
def fakecloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


class Raw(ContractView):
    kinds: ClassVar[frozenset[str] | None] = frozenset({"mail"})

    def key(self, item: Item) -> bytes:
        return item.data


class GmailBackupSource(GoogleSource):
    throttle_prefix = "/gmail/"

    def __init__(self, cloud: FakeCloudProcess) -> None:
        super().__init__(cloud, ["gmail"])
        self.backup = self.build()

    def connector(self) -> Connector:
        return Raw(self.backup)  # type: ignore[arg-type]

    def scope(self) -> Scope:
        return Scope(id=f"gmail:{USER}", kind="mailbox", name=USER)

    def create(self, count: int) -> list[bytes]:
        created = []
        for n in range(count):
            raw = generated_message(next(_counter), tag="gbk")
            self.control.seed("google", DOMAIN, USER, "mail", ("INBOX", "Projects")[n % 2], raw)
            created.append(raw)
        return created

    def delete(self, item: Item) -> None:
        self.control.remove("google", DOMAIN, USER, "mail", f"x/{item.source_id}")

    def invalidate_cursor(self) -> None:
        self.control.call("google/expire_history", user=USER)


class TestGmailBackupContract(ConnectorContract):
    @pytest.fixture
    def contract_source(self, fakecloud: FakeCloudProcess) -> GmailBackupSource:
        return GmailBackupSource(fakecloud)


def test_messages_are_mail_items_with_their_labels(fakecloud: FakeCloudProcess) -> None:
    source = GmailBackupSource(fakecloud)
    raw = generated_message(next(_counter), tag="labels")
    source.control.seed("google", DOMAIN, USER, "mail", "Projects", raw)
    [item] = drain(source.backup, source.scope(), None).items
    assert (item.kind, item.folder, item.meta["name"], item.data) == ("mail", "Projects", f"{item.source_id}.eml",
                                                                      raw)
    assert "Projects" in item.meta["labels"]
