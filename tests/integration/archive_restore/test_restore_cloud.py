"""Restore to mailbox into Microsoft 365 (Graph, MIME create) and Gmail (users.messages.import) on the
fakecloud emulators: archived through the customer's source, deleted there, restored byte-identically
(``GET /_fakecloud/items`` shows the stored bytes' sha256), a second restore skips everything."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from fakecloud.testing import FakeCloudProcess, running_fakecloud
from kustos.archive.models import Message
from kustos.archive.services import sources as source_service
from tests.integration.archive_restore.helpers import mail, restore, sha

pytestmark = pytest.mark.django_db
TENANT, DOMAIN = "tenant-restore", "kunde.example"
LENA, ANNA = "lena@kunde.example", "anna@kunde.example"
BASE = datetime(2022, 11, 7, 8, 15, tzinfo=UTC)


@pytest.fixture(scope="module")
def fakecloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


def by_sha(rows: list[dict]) -> dict[str, str]:
    """sha256 → folder (the item path without its id)."""
    return {row["sha256"]: row["path"].rsplit("/", 1)[0] for row in rows}


def test_graph_mailbox_restore_byte_identical(fakecloud, archive_customer):
    control = fakecloud.control
    control.call("reset")
    settings = control.credentials("ms", TENANT)
    raws = [mail(i, "graph", LENA, BASE + timedelta(hours=i)) for i in range(3)]
    seeded = [control.seed("ms", TENANT, LENA, "mail", "Inbox", raw) for raw in raws]
    config = {k: v for k, v in settings.items() if k != "client_secret"}
    source = source_service.add(archive_customer, "graph", config, settings["client_secret"])
    assert source_service.run(source)["imported"] == 3
    for item in seeded:
        control.remove("ms", TENANT, LENA, "mail", item["path"])
    assert control.items("ms", TENANT, "mail", LENA) == []

    control.call("faults/clear")
    control.throttle("/v1.0/users", count=2, retry_after=0.3)  # Graph throttles the writes
    report = restore(archive_customer, mailbox=LENA)
    assert report == {"restored": 3, "skipped": 0, "failed": [], "skipped_reasons": []}
    throttled = control.stats()["throttled"]
    assert len(throttled) == 2  # answered 429 twice, waited Retry-After and went on
    back = by_sha(control.items("ms", TENANT, "mail", LENA))
    assert back == {sha(raw): "Inbox" for raw in raws}  # the same bytes, in the original folder

    again = restore(archive_customer, mailbox=LENA)
    assert again["restored"] == 0 and again["skipped"] == 3 and again["failed"] == []
    assert len(control.items("ms", TENANT, "mail", LENA)) == 3

    one = Message.objects.get(customer=archive_customer, sha256=sha(raws[0]))
    into = restore(archive_customer, message_ids=[one.id], to_folder="Restored/2022")
    assert into["restored"] == 1
    rows = control.items("ms", TENANT, "mail", LENA)
    assert [r["path"].rsplit("/", 1)[0] for r in rows if r["sha256"] == one.sha256].count("Restored/2022") == 1


def test_gmail_mailbox_restore_byte_identical_with_labels_and_date(fakecloud, archive_customer):
    control = fakecloud.control
    control.call("reset")
    settings = control.credentials("google", DOMAIN)
    control.seed("google", DOMAIN, ANNA, "mail", "INBOX", mail(99, "warmup", ANNA, BASE))  # creates the user
    raws = {"INBOX": [mail(i, "gmail", ANNA, BASE + timedelta(days=i)) for i in range(2)],
            "Projects": [mail(i, "proj", ANNA, BASE + timedelta(days=5 + i)) for i in range(2)]}
    for folder, items in raws.items():
        for raw in items:
            control.seed("google", DOMAIN, ANNA, "mail", folder, raw)
    source = source_service.add(archive_customer, "gmail", {"admin_email": settings["admin"],
                                                           "endpoint": settings["endpoint"]},
                                json.dumps(settings["service_account"]))
    assert source_service.run(source)["imported"] == 5
    for row in control.items("google", DOMAIN, "mail", ANNA):
        control.remove("google", DOMAIN, ANNA, "mail", row["path"])
    assert control.items("google", DOMAIN, "mail", ANNA) == []

    control.call("faults/clear")
    control.throttle(f"/gmail/v1/users/{ANNA}/messages/import", count=1, retry_after=0.2)  # 429
    control.throttle(f"/gmail/v1/users/{ANNA}/messages/import", count=1, retry_after=0.2, status=403)
    report = restore(archive_customer, query="subject:gmail OR subject:proj")
    assert report["restored"] == 4 and report["failed"] == []
    assert len(control.stats()["throttled"]) == 2  # 429 and 403 rateLimitExceeded, each retried
    rows = control.items("google", DOMAIN, "mail", ANNA)
    assert by_sha(rows) == {sha(raw): folder for folder, items in raws.items() for raw in items}
    dates = {row["sha256"]: row["modified"] for row in rows}
    for items in raws.values():  # the internal date is the Date header's (internalDateSource=dateHeader)
        for raw in items:
            message = Message.objects.get(customer=archive_customer, sha256=sha(raw))
            assert dates[sha(raw)] == message.date.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    again = restore(archive_customer, query="subject:gmail OR subject:proj")
    assert again["restored"] == 0 and again["skipped"] == 4
    assert len(control.items("google", DOMAIN, "mail", ANNA)) == 4
