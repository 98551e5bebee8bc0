"""Mailbox cleanup of a Google Workspace source end to end: a Gmail mailbox is archived through a
real source run against fakecloud's Gmail emulator, some messages are made old, and the cleanup
deletes exactly the old archived ones at the server (``/_fakecloud/items``), with their count and
freed bytes; a dry run changes nothing; trashing labels them TRASH; the vault keeps every message."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from fakecloud.testing import FakeCloudProcess, running_fakecloud
from kustos.archive.services import mailbox_cleanup
from kustos.archive.services import sources as source_service
from kustos.audit.models import AuditEvent
from tests.integration.mailbox_cleanup.cloud_mail import cloud_customer, mail, make_old, seal, sha, vault_view

__all__ = ["cloud_customer"]
pytestmark = pytest.mark.django_db
DOMAIN = "kunde-cleanup.example"
ANNA = "anna@kunde-cleanup.example"


@pytest.fixture(scope="module")
def fakecloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


def labels(fakecloud: FakeCloudProcess) -> dict[str, list[str]]:
    """sha256 → labels of each message the emulator holds for ANNA."""
    return {row["sha256"]: row["labels"] for row in fakecloud.control.items("google", DOMAIN, "mail", ANNA)}


def gmail_source(fakecloud: FakeCloudProcess, customer, raws: dict[str, list[bytes]], **extra):
    control = fakecloud.control
    control.call("reset")
    settings = control.credentials("google", DOMAIN)
    for label, messages in raws.items():
        for raw in messages:
            control.seed("google", DOMAIN, ANNA, "mail", label, raw)
    return source_service.add(customer, "gmail", {"admin_email": settings["admin"],
                                                  "endpoint": settings["endpoint"], **extra},
                              json.dumps(settings["service_account"]))


def test_cleanup_deletes_exactly_the_old_archived_messages(fakecloud, cloud_customer):
    old = [mail(1, "gm", ANNA, 400), mail(2, "gm", ANNA, 800)]
    old_project = mail(3, "gm", ANNA, 400)
    young = [mail(4, "gm", ANNA, 5), mail(5, "gm", ANNA, 30)]
    source = gmail_source(fakecloud, cloud_customer, {"INBOX": [*old, *young], "Projects": [old_project]})
    assert source_service.run(source)["imported"] == 5
    assert make_old(cloud_customer, [*old, old_project], 400) == 3
    before_vault = vault_view(cloud_customer)
    before_server = labels(fakecloud)
    seal(cloud_customer)

    dry = mailbox_cleanup.run(source, older_than_days=365, dry_run=True)
    gone = [*old, old_project]
    assert (dry["deleted"], dry["kept"], dry["skipped"]) == (3, 0, [])
    assert dry["freed_bytes"] == sum(len(r) for r in gone)
    assert labels(fakecloud) == before_server

    result = mailbox_cleanup.run(source, older_than_days=365)
    assert (result["deleted"], result["kept"], result["skipped"]) == (3, 0, [])
    assert result["freed_bytes"] == sum(len(r) for r in gone)  # sizeEstimate per message
    assert labels(fakecloud) == {sha(r): ["INBOX"] for r in young}  # deleted for good, the rest untouched
    assert vault_view(cloud_customer) == before_vault
    assert set(before_vault.values()) == {sha(r) for r in [*gone, *young]}
    [event] = AuditEvent.objects.filter(action="source.mailbox_cleanup", customer_id=cloud_customer.id)
    assert {m["sha256"] for m in event.detail["messages"]} == {sha(r) for r in gone}


def test_cleanup_to_trash_of_one_folder_keeps_what_changed(fakecloud, cloud_customer):
    old_inbox = [mail(6, "gmt", ANNA, 400), mail(7, "gmt", ANNA, 400)]
    old_project = mail(8, "gmt", ANNA, 400)
    source = gmail_source(fakecloud, cloud_customer, {"INBOX": old_inbox, "Projects": [old_project]},
                          cleanup_action="trash")
    assert source_service.run(source)["imported"] == 3
    make_old(cloud_customer, [*old_inbox, old_project], 400)
    seal(cloud_customer)
    # Deleted by the user after archiving: kept by the cleanup, with the reason.
    [row] = [r for r in fakecloud.control.items("google", DOMAIN, "mail", ANNA) if r["sha256"] == sha(old_inbox[1])]
    fakecloud.control.remove("google", DOMAIN, ANNA, "mail", row["path"])

    result = mailbox_cleanup.run(source, older_than_days=365, folders=["INBOX"])
    assert (result["deleted"], result["kept"], result["freed_bytes"]) == (1, 1, len(old_inbox[0]))
    assert [s["reason"] for s in result["skipped"]] == ["gone on the server"]
    assert labels(fakecloud) == {sha(old_inbox[0]): ["TRASH"], sha(old_project): ["Projects"]}
