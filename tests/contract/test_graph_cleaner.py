"""Mailbox cleanup for Microsoft 365 against fakecloud's Graph emulator (a subprocess).

The cleaner confirms each archived message at the server (same id, same internetMessageId) and then
moves it to Deleted Items (to_trash) or purges it (permanentDelete, into Recoverable Items/Purges);
``/_fakecloud/items`` shows what is left and where. Also: the emulator's side (GET with the
PR_MESSAGE_SIZE extended property, DELETE into Deleted Items, permanentDelete, Mail.ReadWrite).
"""

from __future__ import annotations

import hashlib
import json
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.error import HTTPError

import pytest

from fakecloud.testing import FakeCloudProcess, generated_message, running_fakecloud, throttle_obeyed
from kustos.sources.cleanup import CleanupItem
from kustos.sources.egress import EgressPolicy
from kustos.sources.graph.cleaner import GraphMailboxCleaner, build_mailbox_cleaner

TENANT = "contoso-clean.onmicrosoft.com"
UPN = "adele@contoso-clean.onmicrosoft.com"
EGRESS = EgressPolicy.from_values(False, ["127.0.0.1/32"])


@pytest.fixture(scope="module")
def fakecloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


class Mailbox:
    """One user with messages seeded through the control API; items built as the archive builds them."""

    def __init__(self, cloud: FakeCloudProcess) -> None:
        self.control = cloud.control
        self.control.call("reset")
        self.settings = self.control.credentials("ms", TENANT)
        self.user_id = self.control.ms_user(TENANT, UPN)
        self.mime: dict[str, bytes] = {}

    def seed(self, index: int, path: str = "Inbox", **meta: Any) -> CleanupItem:
        mime = generated_message(index, "clean", size=100 * index)
        message_id = self.control.seed("ms", TENANT, UPN, "mail", path, mime, meta)["id"]
        self.mime[message_id] = mime
        return CleanupItem(ref=f"{self.user_id}#{message_id}", scope_id=self.user_id, item_id=message_id,
                           sha256=hashlib.sha256(mime).hexdigest(), size=len(mime),
                           message_id=f"clean.{index}@example.org")

    def cleaner(self, settings: dict[str, Any] | None = None) -> GraphMailboxCleaner:
        settings = settings or self.settings
        return build_mailbox_cleaner(settings, settings["client_secret"], EGRESS)

    def items(self) -> list[dict[str, Any]]:
        return self.control.items("ms", TENANT, "mail", UPN)

    def where(self, item: CleanupItem) -> list[tuple[str, str]]:
        """(folder path, location) of every stored copy of the item's bytes."""
        return sorted((row["path"].rsplit("/", 1)[0], row["location"]) for row in self.items()
                      if row["sha256"] == item.sha256)


@pytest.fixture
def mailbox(fakecloud: FakeCloudProcess) -> Mailbox:
    return Mailbox(fakecloud)


def test_permanent_delete_purges_exactly_the_items(mailbox: Mailbox) -> None:
    old = [mailbox.seed(1), mailbox.seed(2, "Inbox/Projects")]
    kept = mailbox.seed(3)
    cleaner = mailbox.cleaner()
    outcomes = cleaner.delete(old, to_trash=False, dry_run=False)
    cleaner.close()
    assert [(o.ref, o.deleted, o.reason) for o in outcomes] == [(i.ref, True, "") for i in old]
    # freed_bytes is the server's PR_MESSAGE_SIZE (the emulator's item size is its MIME length)
    assert [o.freed_bytes for o in outcomes] == [i.size for i in old]
    assert mailbox.where(old[0]) == [("Recoverable Items/Purges", "recoverable")]
    assert mailbox.where(old[1]) == [("Recoverable Items/Purges", "recoverable")]
    assert mailbox.where(kept) == [("Inbox", "primary")]
    assert not any(row["path"].startswith("Inbox/") and row["sha256"] != kept.sha256 for row in mailbox.items())


def test_to_trash_moves_to_deleted_items(mailbox: Mailbox) -> None:
    item, other = mailbox.seed(4), mailbox.seed(5)
    cleaner = mailbox.cleaner()
    [outcome] = cleaner.delete([item], to_trash=True, dry_run=False)
    assert (outcome.deleted, outcome.freed_bytes) == (True, item.size)
    assert mailbox.where(item) == [("Deleted Items", "primary")]
    assert mailbox.where(other) == [("Inbox", "primary")]
    # The moved message has a new id: the archived id is gone, a second run keeps it.
    [again] = cleaner.delete([item], to_trash=True, dry_run=False)
    assert (again.deleted, again.reason, again.freed_bytes) == (False, "gone on the server", 0)


def test_dry_run_changes_nothing(mailbox: Mailbox) -> None:
    items = [mailbox.seed(6), mailbox.seed(7, "Archive")]
    before = mailbox.items()
    outcomes = mailbox.cleaner().delete(items, to_trash=False, dry_run=True)
    assert [(o.deleted, o.freed_bytes) for o in outcomes] == [(True, i.size) for i in items]
    assert mailbox.items() == before
    stats = mailbox.control.stats()
    assert not [r for r in stats["requests"] if r["method"] != "GET" and "/messages/" in r["path"]]


def test_changed_or_missing_messages_are_kept_with_their_reason(mailbox: Mailbox) -> None:
    moved, removed, other_id, fine = mailbox.seed(8), mailbox.seed(9), mailbox.seed(10), mailbox.seed(11)
    target = mailbox.control.ms_folder(TENANT, UPN, "Elsewhere")
    mailbox.control.call("ms/move", tenant=TENANT, user=UPN, message=moved.item_id, folder=target)
    mailbox.control.call("ms/delete", tenant=TENANT, user=UPN, message=removed.item_id)
    changed = CleanupItem(other_id.ref, other_id.scope_id, other_id.item_id, other_id.sha256, other_id.size,
                          message_id="not-the-archived-one@example.org")
    outcomes = mailbox.cleaner().delete([moved, removed, changed, fine], to_trash=False, dry_run=False)
    assert [(o.deleted, o.reason) for o in outcomes] == [
        (False, "gone on the server"), (False, "gone on the server"), (False, "Message-ID differs"), (True, "")]
    assert mailbox.where(moved) == [("Elsewhere", "primary")]
    assert mailbox.where(removed) == []
    assert mailbox.where(other_id) == [("Inbox", "primary")]
    assert mailbox.where(fine) == [("Recoverable Items/Purges", "recoverable")]


def test_message_without_message_id_is_confirmed_by_its_id(mailbox: Mailbox) -> None:
    item = mailbox.seed(12)
    bare = CleanupItem(item.ref, item.scope_id, item.item_id, item.sha256, item.size, message_id="")
    [outcome] = mailbox.cleaner().delete([bare], to_trash=True, dry_run=False)
    assert outcome.deleted and mailbox.where(item) == [("Deleted Items", "primary")]


def test_online_archive_and_auxiliary_archive_follow_the_same_rules(mailbox: Mailbox) -> None:
    archived = mailbox.seed(13, "Inbox/2019", location="archive")
    auxiliary = mailbox.seed(14, "2015", location="archive", auxiliary=True)
    recoverable = mailbox.seed(15, "Deletions", location="recoverable")
    outcomes = mailbox.cleaner().delete([archived, auxiliary, recoverable], to_trash=False, dry_run=False)
    assert [(o.deleted, o.freed_bytes) for o in outcomes] == [
        (True, archived.size), (True, auxiliary.size), (True, recoverable.size)]
    assert mailbox.where(archived) == [("Recoverable Items/Purges", "archive")]
    assert mailbox.where(auxiliary) == [("Recoverable Items/Purges", "archive")]
    assert mailbox.where(recoverable) == [("Recoverable Items/Purges", "recoverable")]


def test_throttling_is_waited_out(mailbox: Mailbox) -> None:
    items = [mailbox.seed(16), mailbox.seed(17)]
    mailbox.control.throttle(f"/v1.0/users/{mailbox.user_id}/messages", count=3, retry_after=1)
    outcomes = mailbox.cleaner().delete(items, to_trash=False, dry_run=False)
    assert all(o.deleted for o in outcomes)
    stats = mailbox.control.stats()
    assert len(stats["throttled"]) == 3 and throttle_obeyed(stats)
    assert all(mailbox.where(i) == [("Recoverable Items/Purges", "recoverable")] for i in items)


def test_read_only_app_keeps_everything_with_the_refusal(mailbox: Mailbox) -> None:
    item = mailbox.seed(18)
    mailbox.control.call("ms/roles", tenant=TENANT, client_id=mailbox.settings["client_id"],
                         roles=["User.Read.All", "Mail.Read"])
    [outcome] = mailbox.cleaner().delete([item], to_trash=False, dry_run=False)
    assert (outcome.deleted, outcome.reason) == (False, "Graph answered HTTP 403 (ErrorAccessDenied)")
    assert mailbox.where(item) == [("Inbox", "primary")]


# --- the emulator's side ------------------------------------------------------------------------------
def _graph(mailbox: Mailbox, method: str, path: str, body: bytes | None = None) -> tuple[int, Any]:
    base = mailbox.settings["endpoint"]
    token_request = urllib.request.Request(
        f"{base}/{TENANT}/oauth2/v2.0/token", method="POST", data=urllib.parse.urlencode({
            "client_id": mailbox.settings["client_id"], "client_secret": mailbox.settings["client_secret"],
            "scope": "https://graph.microsoft.com/.default", "grant_type": "client_credentials"}).encode())
    with urllib.request.urlopen(token_request) as response:
        token = json.loads(response.read())["access_token"]
    request = urllib.request.Request(f"{base}{path}", method=method, data=body,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def test_emulator_get_message_with_size_and_plain_delete(mailbox: Mailbox) -> None:
    item = mailbox.seed(19)
    path = f"/v1.0/users/{UPN}/messages/{item.item_id}"
    expand = urllib.parse.quote("singleValueExtendedProperties($filter=id eq 'Integer 0x0E08')")
    status, body = _graph(mailbox, "GET", f"{path}?$select=internetMessageId&$expand={expand}")
    assert status == 200
    assert body["internetMessageId"] == "<clean.19@example.org>" and "subject" not in body
    assert body["singleValueExtendedProperties"] == [{"id": "Integer 0xe08", "value": str(item.size)}]
    status, body = _graph(mailbox, "GET", path)
    assert status == 200 and "singleValueExtendedProperties" not in body
    # DELETE is what Exchange does with it: into Deleted Items (a new id), the old id is gone
    assert _graph(mailbox, "DELETE", path) == (204, None)
    assert mailbox.where(item) == [("Deleted Items", "primary")]
    status, body = _graph(mailbox, "GET", path)
    assert (status, body["error"]["code"]) == (404, "ErrorItemNotFound")
    [row] = [r for r in mailbox.items() if r["sha256"] == item.sha256]
    new_path = f"/v1.0/users/{UPN}/messages/{row['path'].rsplit('/', 1)[1]}"
    assert _graph(mailbox, "DELETE", new_path) == (204, None)
    assert mailbox.where(item) == [("Recoverable Items/Deletions", "recoverable")]


def test_message_already_at_the_destination_is_kept(mailbox: Mailbox) -> None:
    """Moving it again would give it another id, archived anew and "freed" again by the next run."""
    in_trash = mailbox.seed(20, "Deleted Items")
    purged = mailbox.seed(21, "Purges", location="recoverable")
    archive_trash = mailbox.seed(22, "Deleted Items", location="archive")
    cleaner = mailbox.cleaner()
    trash = cleaner.delete([in_trash, archive_trash, purged], to_trash=True, dry_run=False)
    assert [(o.deleted, o.reason) for o in trash] == [
        (False, "already in Deleted Items"), (False, "already in Deleted Items"), (True, "")]
    assert mailbox.where(purged) == [("Deleted Items", "primary")]
    [again] = cleaner.delete([mailbox.seed(23, "Purges", location="recoverable")], to_trash=False, dry_run=False)
    assert (again.deleted, again.reason, again.freed_bytes) == (False, "already purged", 0)
    assert mailbox.where(in_trash) == [("Deleted Items", "primary")]
    assert mailbox.where(archive_trash) == [("Deleted Items", "archive")]


def test_items_are_cleaned_in_parallel_within_the_mailbox_limit(mailbox: Mailbox) -> None:
    items = [mailbox.seed(30 + n) for n in range(8)]
    mailbox.control.call("faults/latency", prefix=f"/v1.0/users/{mailbox.user_id}/messages", seconds=0.2)
    outcomes = mailbox.cleaner().delete(items, to_trash=False, dry_run=False)
    assert all(o.deleted for o in outcomes) and [o.ref for o in outcomes] == [i.ref for i in items]
    stats = mailbox.control.stats()
    assert 2 <= stats["max_in_flight"][f"graph:{mailbox.user_id}"] <= 4  # Exchange's 4 per mailbox
    assert stats["throttled"] == []


def test_group_conversation_posts_are_kept_without_a_request(mailbox: Mailbox) -> None:
    post = CleanupItem(ref="group:0f1e#AAQkPost=", scope_id="group:0f1e", item_id="AAQkPost=", sha256="0" * 64,
                       size=10, message_id="post@example.org")
    [outcome] = mailbox.cleaner().delete([post], to_trash=False, dry_run=False)
    assert (outcome.deleted, outcome.reason) == (False, "group conversation post (Graph deletes only whole threads)")
    assert not [r for r in mailbox.control.stats()["requests"] if "/groups/" in r["path"]]
