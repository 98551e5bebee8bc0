"""GmailConnector against fakecloud's Google emulators, running as a real subprocess.

The shared contract suite plus Gmail specifics: the service-account JWT is really
signed and verified, labels become folders, expired history (404) resyncs without
duplicates, Retry-After is measured, and credential/delegation/admin problems give
clear errors.
"""

from __future__ import annotations

import hashlib
import itertools
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fakecloud.client import Control
from fakecloud.google.keys import DWD_SCOPES, make_service_account
from fakecloud.testing import (
    FakeCloudProcess,
    corpus_messages,
    generated_message,
    running_fakecloud,
    throttle_obeyed,
)
from kustos.sources.base import AuthenticationFailed, Item, PermissionMissing, Scope
from kustos.sources.egress import EgressPolicy
from kustos.sources.gmail import GmailConnector
from tests.contract.connector_contract import ConnectorContract, drain

ADMIN = "admin@example.com"
USER = "bob@example.com"
_counter = itertools.count()


@pytest.fixture(scope="module")
def fakecloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


@pytest.fixture(scope="module")
def key_pair(fakecloud: FakeCloudProcess) -> tuple[dict[str, Any], str]:
    return make_service_account(fakecloud.base_url)  # RSA key generation: once per module


class GmailSource:
    """Contract adapter: a Workspace domain with an admin and one mailbox using system and user labels."""

    def __init__(self, cloud: FakeCloudProcess, key_pair: tuple[dict[str, Any], str],
                 messages: Iterator[bytes] | None = None) -> None:
        self.base = cloud.base_url
        self.control: Control = cloud.control
        self.info, public_pem = key_pair
        self.control.call("reset")
        self.control.call("google/service_account", client_email=self.info["client_email"],
                          client_id=self.info["client_id"], public_key_pem=public_pem, scopes=DWD_SCOPES)
        self.control.google_user(ADMIN, is_admin=True)
        self.control.google_user(USER)
        self.control.google_user("printer@example.com", mailbox=False)
        self.alpha = self.control.google_label(USER, "Projects/Alpha")
        self.label_sets = [["INBOX", "UNREAD"], [self.alpha, "INBOX"], ["SENT"], ["SPAM"], []]
        self.messages = messages
        self._connector: GmailConnector | None = None

    def connector(self) -> GmailConnector:
        if self._connector is None:
            self._connector = GmailConnector(self.info, ADMIN, endpoint=self.base, page_size=2,
                                             egress=EgressPolicy.from_values(False, ["127.0.0.1/32"]))
        return self._connector

    def scope(self) -> Scope:
        return Scope(id=USER, kind="mailbox", name=USER)

    def create(self, count: int) -> list[bytes]:
        created = []
        for n in range(count):
            data = next(self.messages) if self.messages else generated_message(next(_counter), "gmail")
            self.control.google_message(USER, data, self.label_sets[n % len(self.label_sets)])
            created.append(data)
        return created

    def delete(self, item: Item) -> None:
        self.control.call("google/delete", user=USER, message=item.source_id)

    def invalidate_cursor(self) -> None:
        self.control.call("google/expire_history", user=USER)

    def throttle(self, requests: int, retry_after: float) -> None:
        self.control.throttle("/gmail/v1/", requests, retry_after)

    def throttle_obeyed(self) -> bool:
        return throttle_obeyed(self.control.stats())


class TestGmailContract(ConnectorContract):
    @pytest.fixture
    def contract_source(self, fakecloud: FakeCloudProcess, key_pair: tuple[dict[str, Any], str]) -> GmailSource:
        return GmailSource(fakecloud, key_pair)


@pytest.mark.corpus
class TestGmailContractCorpusMime(ConnectorContract):
    """The same contract with real-world MIME: raw bytes survive base64url byte-exact."""

    @pytest.fixture
    def contract_source(self, fakecloud: FakeCloudProcess, key_pair: tuple[dict[str, Any], str],
                        corpus: Path) -> GmailSource:
        return GmailSource(fakecloud, key_pair, iter(corpus_messages(corpus, 40)))


@pytest.fixture
def source(fakecloud: FakeCloudProcess, key_pair: tuple[dict[str, Any], str]) -> GmailSource:
    return GmailSource(fakecloud, key_pair)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_scopes_list_mailboxes_across_pages(source: GmailSource) -> None:
    for n in range(3):
        source.control.google_user(f"user{n}@example.com")
    assert [s.id for s in source.connector().scopes()] == [
        ADMIN, USER, "user0@example.com", "user1@example.com", "user2@example.com"]


def test_labels_become_folders(source: GmailSource) -> None:
    created = source.create(5)
    result = drain(source.connector(), source.scope(), None)
    found = {_sha(i.data): (i.folder, i.meta["labels"]) for i in result.items}
    assert found == {
        _sha(created[0]): ("INBOX", ["INBOX", "UNREAD"]),
        _sha(created[1]): ("Projects/Alpha", ["Projects/Alpha", "INBOX"]),
        _sha(created[2]): ("Sent", ["SENT"]),
        _sha(created[3]): ("Spam", ["SPAM"]),
        _sha(created[4]): ("All Mail", []),
    }
    assert set(result.cursor or {}) == {"historyId"}


def test_expired_history_resyncs_without_duplicates(source: GmailSource) -> None:
    created = source.create(7)
    first = drain(source.connector(), source.scope(), None)
    source.invalidate_cursor()
    rescan = drain(source.connector(), source.scope(), first.cursor)
    assert rescan.reset
    assert sorted(_sha(i.data) for i in rescan.items) == sorted(_sha(c) for c in created)


def test_interrupted_full_sync_resumes(source: GmailSource) -> None:
    created = source.create(5)
    batches = iter(source.connector().fetch(source.scope(), None))
    first_batch = next(batches)
    del batches  # the job died after storing one batch
    assert first_batch.next_cursor is not None and "pageToken" in first_batch.next_cursor
    rest = drain(source.connector(), source.scope(), first_batch.next_cursor)
    assert sorted(_sha(i.data) for i in first_batch.items + rest.items) == sorted(_sha(c) for c in created)
    assert set(rest.cursor or {}) == {"historyId"}


def test_retry_after_is_waited(source: GmailSource) -> None:
    source.create(2)
    source.control.throttle("/gmail/v1/", count=1, retry_after=1.5)
    started = time.monotonic()
    result = drain(source.connector(), source.scope(), None)
    assert time.monotonic() - started >= 1.5
    assert len(result.items) == 2 and source.connector().http.waits == [1.5]


def test_foreign_key_is_rejected(source: GmailSource) -> None:
    other, _public = make_service_account(source.base)
    other["client_email"] = source.info["client_email"]  # same account, key not registered
    with pytest.raises(AuthenticationFailed, match="invalid JWT signature"):
        GmailConnector(other, ADMIN, endpoint=source.base).check()


def test_missing_delegation_names_client_and_scopes(source: GmailSource) -> None:
    source.control.call("google/delegated_scopes", client_email=source.info["client_email"],
                        scopes=[DWD_SCOPES[1]])
    with pytest.raises(PermissionMissing, match=f"client id {source.info['client_id']}.*gmail.readonly"):
        source.connector().check()


def test_non_admin_cannot_list_users(source: GmailSource) -> None:
    with pytest.raises(PermissionMissing, match="not a Google Workspace administrator"):
        GmailConnector(source.info, USER, endpoint=source.base).check()


def test_unknown_admin_is_a_clear_error(source: GmailSource) -> None:
    with pytest.raises(AuthenticationFailed, match="does not know the user 'ghost@example.com'"):
        GmailConnector(source.info, "ghost@example.com", endpoint=source.base).check()


def test_broken_key_file_is_a_clear_error(source: GmailSource) -> None:
    with pytest.raises(AuthenticationFailed, match="JSON key is not usable"):
        GmailConnector({**source.info, "private_key": "garbage"}, ADMIN, endpoint=source.base)


def test_at_most_four_concurrent_requests_per_user(source: GmailSource) -> None:
    created = source.create(10)
    source.control.call("faults/latency", prefix=f"/gmail/v1/users/{USER}/messages/", seconds=0.15)
    connector = GmailConnector(source.info, ADMIN, endpoint=source.base, page_size=10)
    result = drain(connector, source.scope(), None)
    assert sorted(_sha(i.data) for i in result.items) == sorted(_sha(c) for c in created)
    assert 2 <= source.control.stats()["max_in_flight"][f"gmail:{USER}"] <= 4


def test_403_rate_limit_is_retried_like_429(source: GmailSource) -> None:
    created = source.create(2)
    source.control.throttle("/gmail/v1/", count=1, retry_after=0.5, status=403)
    result = drain(source.connector(), source.scope(), None)
    assert sorted(_sha(i.data) for i in result.items) == sorted(_sha(c) for c in created)
    assert source.connector().http.waits == [0.5] and throttle_obeyed(source.control.stats())
