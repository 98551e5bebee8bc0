"""Mailbox cleanup of a Microsoft 365 source end to end: a mailbox (primary and In-Place Archive) is
archived through a real source run against fakecloud's Graph emulator, some messages are made old,
and the cleanup removes exactly the old archived ones at the server (``/_fakecloud/items``), with
their count and freed bytes; a dry run changes nothing; the vault keeps every message."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fakecloud.testing import FakeCloudProcess, running_fakecloud
from kustos.archive.services import mailbox_cleanup
from kustos.archive.services import sources as source_service
from kustos.audit.models import AuditEvent
from tests.integration.mailbox_cleanup.cloud_mail import cloud_customer, mail, make_old, seal, sha, vault_view

__all__ = ["cloud_customer"]
pytestmark = pytest.mark.django_db
TENANT = "tenant-cleanup"
LENA = "lena@kunde.example"


@pytest.fixture(scope="module")
def fakecloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


def where(fakecloud: FakeCloudProcess) -> dict[str, tuple[str, str]]:
    """sha256 → (folder path, location) of each message the emulator holds for LENA."""
    return {row["sha256"]: (row["path"].rsplit("/", 1)[0], row["location"])
            for row in fakecloud.control.items("ms", TENANT, "mail", LENA)}


def test_cleanup_removes_exactly_the_old_archived_messages(fakecloud, cloud_customer):
    control = fakecloud.control
    control.call("reset")
    settings = control.credentials("ms", TENANT)
    old = [mail(1, "m365", LENA, 400), mail(2, "m365", LENA, 500)]
    old_archive = mail(3, "m365", LENA, 900)
    young = [mail(4, "m365", LENA, 10), mail(5, "m365", LENA, 20)]
    for raw in [*old, *young]:
        control.seed("ms", TENANT, LENA, "mail", "Inbox", raw)
    control.seed("ms", TENANT, LENA, "mail", "Inbox/2019", old_archive, {"location": "archive"})
    source = source_service.add(cloud_customer, "graph", {k: v for k, v in settings.items() if k != "client_secret"},
                                settings["client_secret"])
    assert source_service.run(source)["imported"] == 5
    # The receive times come from the mailbox (the emulator received everything just now): age some.
    assert make_old(cloud_customer, [*old, old_archive], 400) == 3
    before_vault = vault_view(cloud_customer)
    before_server = where(fakecloud)
    seal(cloud_customer)

    dry = mailbox_cleanup.run(source, older_than_days=365, dry_run=True)
    assert (dry["deleted"], dry["kept"], dry["skipped"]) == (3, 0, [])
    assert dry["freed_bytes"] == sum(len(r) for r in [*old, old_archive])
    assert where(fakecloud) == before_server

    result = mailbox_cleanup.run(source, older_than_days=365, seal_first=True)
    assert (result["deleted"], result["kept"], result["skipped"]) == (3, 0, [])
    assert result["freed_bytes"] == sum(len(r) for r in [*old, old_archive])
    after = where(fakecloud)
    assert {after[sha(r)] for r in old} == {("Recoverable Items/Purges", "recoverable")}  # permanentDelete
    assert after[sha(old_archive)] == ("Recoverable Items/Purges", "archive")
    assert {after[sha(r)] for r in young} == {("Inbox", "primary")}
    assert not [s for s, (folder, _) in after.items() if folder in ("Inbox", "Inbox/2019") and
                s in {sha(r) for r in [*old, old_archive]}]
    assert vault_view(cloud_customer) == before_vault
    assert set(before_vault.values()) == {sha(r) for r in [*old, old_archive, *young]}
    [event] = AuditEvent.objects.filter(action="source.mailbox_cleanup", customer_id=cloud_customer.id)
    assert {m["sha256"] for m in event.detail["messages"]} == {sha(r) for r in [*old, old_archive]}

    again = mailbox_cleanup.run(source, older_than_days=365, seal_first=True)  # nothing left to do
    assert (again["deleted"], again["freed_bytes"]) == (0, 0)
    assert where(fakecloud) == after


def test_cleanup_to_deleted_items_and_kept_when_moved(fakecloud, cloud_customer):
    control = fakecloud.control
    control.call("reset")
    settings = control.credentials("ms", TENANT)
    moved, trashed = mail(6, "m365t", LENA, 400), mail(7, "m365t", LENA, 400)
    moved_id = control.seed("ms", TENANT, LENA, "mail", "Inbox", moved)["id"]
    control.seed("ms", TENANT, LENA, "mail", "Inbox", trashed)
    config = {**{k: v for k, v in settings.items() if k != "client_secret"}, "cleanup_action": "trash"}
    source = source_service.add(cloud_customer, "graph", config, settings["client_secret"])
    assert source_service.run(source)["imported"] == 2
    make_old(cloud_customer, [moved, trashed], 400)
    # The user files one message away after archiving: it has a new id, so cleanup keeps it.
    folder = control.ms_folder(TENANT, LENA, "Kept")
    control.call("ms/move", tenant=TENANT, user=LENA, message=moved_id, folder=folder)

    result = mailbox_cleanup.run(source, older_than_days=365, seal_first=True)
    assert (result["deleted"], result["kept"], result["freed_bytes"]) == (1, 1, len(trashed))
    assert [s["reason"] for s in result["skipped"]] == ["gone on the server"]
    after = where(fakecloud)
    assert after[sha(trashed)] == ("Deleted Items", "primary")
    assert after[sha(moved)] == ("Kept", "primary")
