"""GraphMailConnector against fakecloud's Graph emulator, running as a real subprocess.

The shared contract suite plus Graph specifics: folder paths, SyncStateNotFound/410
resync without duplicates, Retry-After measured, at most 4 concurrent requests per
mailbox, clear errors for bad credentials and missing app permissions, real corpus
MIME delivered byte-exact.
"""

from __future__ import annotations

import hashlib
import itertools
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fakecloud.client import Control
from fakecloud.testing import (
    FakeCloudProcess,
    corpus_messages,
    generated_message,
    running_fakecloud,
    throttle_obeyed,
)
from kustos.sources.base import AuthenticationFailed, Item, PermissionMissing, Scope
from kustos.sources.egress import EgressPolicy
from kustos.sources.graph import GraphMailConnector
from tests.contract.connector_contract import ConnectorContract, drain

TENANT = "contoso.onmicrosoft.com"
CLIENT_ID = "11111111-2222-3333-4444-555555555555"
SECRET = "s3cret~value"
_counter = itertools.count()


@pytest.fixture(scope="module")
def fakecloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


class GraphSource:
    """Contract adapter: one mailbox with an Inbox and a nested folder in the emulator."""

    def __init__(self, cloud: FakeCloudProcess, messages: Iterator[bytes] | None = None) -> None:
        self.base = cloud.base_url
        self.control: Control = cloud.control
        self.control.call("reset")
        self.control.ms_app(TENANT, CLIENT_ID, SECRET, ["User.Read.All", "Mail.Read"])
        self.upn = "adele@contoso.onmicrosoft.com"
        self.user = self.control.ms_user(TENANT, self.upn)
        self.control.ms_user(TENANT, "room@contoso.onmicrosoft.com", mailbox=False)
        self.projects = self.control.ms_folder(TENANT, self.user, "Projects", "inbox")
        self.nested = self.control.ms_folder(TENANT, self.user, "2024", self.projects)
        self.folders = ["inbox", self.nested, "sentitems"]
        self.messages = messages
        self._connector: GraphMailConnector | None = None

    def connector(self) -> GraphMailConnector:
        if self._connector is None:
            self._connector = GraphMailConnector(TENANT, CLIENT_ID, SECRET, endpoint=self.base,
                                                 login_endpoint=self.base, page_size=2,
                                                 egress=EgressPolicy.from_values(False, ["127.0.0.1/32"]))
        return self._connector

    def scope(self) -> Scope:
        return Scope(id=self.user, kind="mailbox", name=self.upn)

    def create(self, count: int) -> list[bytes]:
        created = []
        for n in range(count):
            data = next(self.messages) if self.messages else generated_message(next(_counter), "graph")
            self.control.ms_message(TENANT, self.user, self.folders[n % len(self.folders)], data)
            created.append(data)
        return created

    def delete(self, item: Item) -> None:
        self.control.call("ms/delete", tenant=TENANT, user=self.user, message=item.source_id)

    def invalidate_cursor(self) -> None:
        self.control.call("ms/invalidate_all_deltas", tenant=TENANT, user=self.user)

    def throttle(self, requests: int, retry_after: float) -> None:
        self.control.throttle("/v1.0/", requests, retry_after)

    def throttle_obeyed(self) -> bool:
        return throttle_obeyed(self.control.stats())


class TestGraphContract(ConnectorContract):
    @pytest.fixture
    def contract_source(self, fakecloud: FakeCloudProcess) -> GraphSource:
        return GraphSource(fakecloud)


@pytest.mark.corpus
class TestGraphContractCorpusMime(ConnectorContract):
    """The same contract with real-world MIME (broken boundaries, 8-bit headers, odd charsets)."""

    @pytest.fixture
    def contract_source(self, fakecloud: FakeCloudProcess, corpus: Path) -> GraphSource:
        return GraphSource(fakecloud, iter(corpus_messages(corpus, 40)))


@pytest.fixture
def source(fakecloud: FakeCloudProcess) -> GraphSource:
    return GraphSource(fakecloud)


def _sha(items: list[Item]) -> list[str]:
    return sorted(hashlib.sha256(i.data).hexdigest() for i in items)


def test_scopes_skip_users_without_mailbox(source: GraphSource) -> None:
    names = [s.name for s in source.connector().scopes()]
    assert names == [source.upn]


def test_folder_paths_follow_parent_chain(source: GraphSource) -> None:
    created = source.create(3)
    result = drain(source.connector(), source.scope(), None)
    by_hash = {hashlib.sha256(i.data).hexdigest(): i.folder for i in result.items}
    assert by_hash == {
        hashlib.sha256(created[0]).hexdigest(): "Inbox",
        hashlib.sha256(created[1]).hexdigest(): "Inbox/Projects/2024",
        hashlib.sha256(created[2]).hexdigest(): "Sent Items",
    }
    assert result.cursor is not None
    assert all("$deltatoken=" in link for link in result.cursor.values())


def test_resync_after_410_has_no_duplicates(source: GraphSource) -> None:
    created = source.create(7)
    first = drain(source.connector(), source.scope(), None)
    source.control.call("ms/invalidate_delta", tenant=TENANT, user=source.user, folder="inbox",
                        code="resyncRequired")
    rescan = drain(source.connector(), source.scope(), first.cursor)
    assert rescan.reset
    inbox = [c for n, c in enumerate(created) if n % 3 == 0]
    assert _sha(rescan.items) == sorted(hashlib.sha256(c).hexdigest() for c in inbox)


def test_move_reports_removal_and_new_location(source: GraphSource) -> None:
    source.create(1)
    first = drain(source.connector(), source.scope(), None)
    moved = first.items[0]
    source.control.call("ms/move", tenant=TENANT, user=source.user, message=moved.source_id,
                        folder=source.projects)
    delta = drain(source.connector(), source.scope(), first.cursor)
    assert [(i.folder, i.data) for i in delta.items] == [("Inbox/Projects", moved.data)]
    assert [(d.source_id, d.folder) for d in delta.deletions] == [(moved.source_id, "Inbox")]


def test_retry_after_is_waited(source: GraphSource) -> None:
    source.create(2)
    source.control.throttle("/v1.0/users/", count=1, retry_after=1.5)
    started = time.monotonic()
    result = drain(source.connector(), source.scope(), None)
    assert time.monotonic() - started >= 1.5
    assert len(result.items) == 2
    assert source.connector().http.waits == [1.5]
    assert throttle_obeyed(source.control.stats())


def test_at_most_four_concurrent_requests_per_mailbox(source: GraphSource) -> None:
    source.folders = ["inbox"]
    created = source.create(12)
    source.control.call("faults/latency", prefix=f"/v1.0/users/{source.user}/messages/", seconds=0.15)
    connector = GraphMailConnector(TENANT, CLIENT_ID, SECRET, endpoint=source.base, login_endpoint=source.base,
                                   page_size=12)
    result = drain(connector, source.scope(), None)
    assert _sha(result.items) == sorted(hashlib.sha256(c).hexdigest() for c in created)
    stats = source.control.stats()
    assert 2 <= stats["max_in_flight"][f"graph:{source.user}"] <= 4  # parallel, but bounded
    assert stats["throttled"] == []  # the emulator's MailboxConcurrency limit was never hit


def test_bad_secret_is_a_clear_error(source: GraphSource) -> None:
    connector = GraphMailConnector(TENANT, CLIENT_ID, "wrong", endpoint=source.base, login_endpoint=source.base)
    with pytest.raises(AuthenticationFailed, match="client secret is wrong"):
        connector.check()


def test_unknown_tenant_and_client_are_clear_errors(source: GraphSource) -> None:
    with pytest.raises(AuthenticationFailed, match="tenant 'nope' was not found"):
        GraphMailConnector("nope", CLIENT_ID, SECRET, endpoint=source.base, login_endpoint=source.base).check()
    with pytest.raises(AuthenticationFailed, match=r"\(client\) id 'other' is not registered"):
        GraphMailConnector(TENANT, "other", SECRET, endpoint=source.base, login_endpoint=source.base).check()


@pytest.mark.parametrize(("roles", "missing"), [(["User.Read.All"], "Mail.Read"), (["Mail.Read"], "User.Read.All")])
def test_missing_permission_is_named(source: GraphSource, roles: list[str], missing: str) -> None:
    source.control.call("ms/roles", tenant=TENANT, client_id=CLIENT_ID, roles=roles)
    with pytest.raises(PermissionMissing, match=rf"permission {missing} "):
        source.connector().check()


def test_expired_token_is_renewed(source: GraphSource) -> None:
    source.create(1)
    source.control.call("ms/token_lifetime", seconds=1)
    connector = source.connector()
    first = drain(connector, source.scope(), None)
    time.sleep(1.1)
    source.create(1)
    assert len(drain(connector, source.scope(), first.cursor).items) == 1
