"""Mailbox cleanup for Gmail against fakecloud's Gmail emulator (a subprocess).

The cleaner confirms each archived message (messages.get, format=metadata, its Message-ID header) and
then deletes it for good (messages.delete, only with https://mail.google.com/) or trashes it
(messages.trash: the TRASH label); ``/_fakecloud/items`` shows what is left and under which labels.
"""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from fakecloud.testing import FakeCloudProcess, generated_message, running_fakecloud, throttle_obeyed
from kustos.sources.base import ConnectorError
from kustos.sources.cleanup import CleanupItem
from kustos.sources.egress import EgressPolicy
from kustos.sources.google.cleaner import GmailMailboxCleaner, build_mailbox_cleaner

DOMAIN = "clean.example.com"
USER = "finn@clean.example.com"
EGRESS = EgressPolicy.from_values(False, ["127.0.0.1/32"])


@pytest.fixture(scope="module")
def fakecloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


class Mailbox:
    def __init__(self, cloud: FakeCloudProcess) -> None:
        self.control = cloud.control
        self.control.call("reset")
        self.settings = self.control.credentials("google", DOMAIN)
        self.control.google_user(USER)
        self.projects = self.control.google_label(USER, "Projects")

    def seed(self, index: int, labels: list[str] | None = None) -> CleanupItem:
        raw = generated_message(index, "gclean", size=50 * index)
        message_id = self.control.google_message(USER, raw, labels or ["INBOX"])
        return CleanupItem(ref=f"{USER}#{message_id}", scope_id=USER, item_id=message_id,
                           sha256=hashlib.sha256(raw).hexdigest(), size=len(raw),
                           message_id=f"gclean.{index}@example.org")

    def cleaner(self) -> GmailMailboxCleaner:
        return build_mailbox_cleaner({"admin_email": self.settings["admin"], "endpoint": self.settings["endpoint"]},
                                     json.dumps(self.settings["service_account"]), EGRESS)

    def items(self) -> list[dict[str, Any]]:
        return self.control.items("google", DOMAIN, "mail", USER)

    def labels(self, item: CleanupItem) -> list[list[str]]:
        """The labels of every stored copy of the item's bytes ([] when none is left)."""
        return [row["labels"] for row in self.items() if row["sha256"] == item.sha256]


@pytest.fixture
def mailbox(fakecloud: FakeCloudProcess) -> Mailbox:
    return Mailbox(fakecloud)


def test_delete_removes_exactly_the_items_for_good(mailbox: Mailbox) -> None:
    old = [mailbox.seed(1), mailbox.seed(2, ["SENT"])]
    kept = mailbox.seed(3)
    cleaner = mailbox.cleaner()
    outcomes = cleaner.delete(old, to_trash=False, dry_run=False)
    cleaner.close()
    assert [(o.ref, o.deleted, o.reason) for o in outcomes] == [(i.ref, True, "") for i in old]
    assert [o.freed_bytes for o in outcomes] == [i.size for i in old]  # sizeEstimate (= raw length here)
    assert mailbox.labels(old[0]) == [] and mailbox.labels(old[1]) == []
    assert mailbox.labels(kept) == [["INBOX"]]
    assert len(mailbox.items()) == 1


def test_to_trash_labels_the_message_trash(mailbox: Mailbox) -> None:
    item, other = mailbox.seed(4, ["INBOX", mailbox.projects]), mailbox.seed(5)
    [outcome] = mailbox.cleaner().delete([item], to_trash=True, dry_run=False)
    assert (outcome.deleted, outcome.freed_bytes) == (True, item.size)
    assert mailbox.labels(item) == [["TRASH", "Projects"]]  # out of the inbox, its own label kept
    assert mailbox.labels(other) == [["INBOX"]]
    assert any(row["path"].startswith("TRASH/") for row in mailbox.items())


def test_dry_run_changes_nothing(mailbox: Mailbox) -> None:
    items = [mailbox.seed(6), mailbox.seed(7, [mailbox.projects])]
    before = mailbox.items()
    outcomes = mailbox.cleaner().delete(items, to_trash=False, dry_run=True)
    assert [(o.deleted, o.freed_bytes) for o in outcomes] == [(True, i.size) for i in items]
    assert mailbox.items() == before
    requests = mailbox.control.stats()["requests"]
    assert [r for r in requests if "/messages/" in r["path"]]
    assert not [r for r in requests if r["method"] != "GET" and "/messages/" in r["path"]]


def test_changed_or_missing_messages_are_kept_with_their_reason(mailbox: Mailbox) -> None:
    removed, other_id, fine = mailbox.seed(8), mailbox.seed(9), mailbox.seed(10)
    mailbox.control.call("google/delete", user=USER, message=removed.item_id)
    changed = CleanupItem(other_id.ref, other_id.scope_id, other_id.item_id, other_id.sha256, other_id.size,
                          message_id="someone-else@example.org")
    outcomes = mailbox.cleaner().delete([removed, changed, fine], to_trash=False, dry_run=False)
    assert [(o.deleted, o.reason, o.freed_bytes) for o in outcomes] == [
        (False, "gone on the server", 0), (False, "Message-ID differs", 0), (True, "", fine.size)]
    assert mailbox.labels(other_id) == [["INBOX"]]
    assert mailbox.labels(fine) == []


@pytest.mark.parametrize("status", [429, 403])
def test_rate_limits_are_waited_out(mailbox: Mailbox, status: int) -> None:
    items = [mailbox.seed(11), mailbox.seed(12)]
    mailbox.control.throttle(f"/gmail/v1/users/{USER}/messages", count=3, retry_after=1, status=status)
    outcomes = mailbox.cleaner().delete(items, to_trash=False, dry_run=False)
    assert all(o.deleted for o in outcomes)
    stats = mailbox.control.stats()
    assert len(stats["throttled"]) == 3 and throttle_obeyed(stats)
    assert mailbox.items() == []


def test_delete_needs_the_full_mail_scope(mailbox: Mailbox) -> None:
    item = mailbox.seed(13)
    account = mailbox.settings["service_account"]["client_email"]
    mailbox.control.call("google/delegated_scopes", client_email=account, scopes=[
        "https://www.googleapis.com/auth/gmail.readonly", "https://www.googleapis.com/auth/gmail.modify"])
    with pytest.raises(ConnectorError):
        mailbox.cleaner().delete([item], to_trash=False, dry_run=False)
    [trashed] = mailbox.cleaner().delete([item], to_trash=True, dry_run=False)  # gmail.modify suffices
    assert trashed.deleted and mailbox.labels(item) == [["TRASH"]]


def test_emulator_metadata_format_and_scopes(mailbox: Mailbox) -> None:
    item = mailbox.seed(14)
    cleaner = mailbox.cleaner()
    token = cleaner.session.tokens.for_user(USER, "https://www.googleapis.com/auth/gmail.modify").token()
    base = f"{mailbox.settings['endpoint']}/gmail/v1/users/{urllib.parse.quote(USER)}/messages/{item.item_id}"

    def call(method: str, url: str) -> tuple[int, Any]:
        request = urllib.request.Request(url, method=method, headers={"Authorization": f"Bearer {token}"})
        try:
            with urllib.request.urlopen(request) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    status, body = call("GET", f"{base}?format=metadata&metadataHeaders=Message-ID&metadataHeaders=Subject")
    assert status == 200 and "raw" not in body
    assert body["payload"]["headers"] == [{"name": "Subject", "value": "gclean message 14"},
                                          {"name": "Message-ID", "value": "<gclean.14@example.org>"}]
    assert body["sizeEstimate"] == item.size
    status, body = call("DELETE", base)  # messages.delete accepts https://mail.google.com/ only
    assert (status, body["error"]["errors"][0]["reason"]) == (403, "insufficientPermissions")
    status, body = call("POST", f"{base}/trash")
    assert status == 200 and body["labelIds"] == ["TRASH"] and body["id"] == item.item_id
    status, raw = call("GET", f"{base}?format=raw")
    assert base64.urlsafe_b64decode(raw["raw"]) == generated_message(14, "gclean", size=700)


def test_message_already_in_the_trash_is_kept_by_a_trashing_run(mailbox: Mailbox) -> None:
    trashed, inbox = mailbox.seed(15, ["TRASH"]), mailbox.seed(16)
    outcomes = mailbox.cleaner().delete([trashed, inbox], to_trash=True, dry_run=False)
    assert [(o.deleted, o.reason) for o in outcomes] == [(False, "already in the trash"), (True, "")]
    [deleted] = mailbox.cleaner().delete([trashed], to_trash=False, dry_run=False)  # emptying it is a deletion
    assert deleted.deleted and mailbox.labels(trashed) == []
