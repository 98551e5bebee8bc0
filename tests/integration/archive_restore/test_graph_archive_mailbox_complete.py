"""A Microsoft 365 source archives a mailbox completely: the primary mailbox, the In-Place Archive
(with an auxiliary archive behind a 308) under "Online Archive", Recoverable Items (on by default,
off per source), and a shared mailbox; every message byte-identical (sha256) in its folder."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from fakecloud.testing import FakeCloudProcess, running_fakecloud
from kustos.archive.models import MessageRef
from kustos.archive.services import sources as source_service
from tests.integration.archive_restore.helpers import mail, sha

pytestmark = pytest.mark.django_db
TENANT = "tenant-archive-complete"
LENA, INFO = "lena@kunde.example", "info@kunde.example"
BASE = datetime(2021, 3, 1, 9, 0, tzinfo=UTC)
PLACES = [  # (account, seeded path, meta, folder in Kustos)
    (LENA, "Inbox", {}, "Inbox"),
    (LENA, "Inbox/2020", {"location": "archive"}, "Online Archive/Inbox/2020"),
    (LENA, "2016", {"location": "archive", "auxiliary": True}, "Online Archive/2016"),
    (LENA, "Deletions", {"location": "recoverable"}, "Recoverable Items/Deletions"),
    (LENA, "Versions", {"location": "recoverable"}, "Recoverable Items/Versions"),
    (INFO, "Inbox", {"mailboxType": "shared"}, "Inbox"),
]


@pytest.fixture(scope="module")
def fakecloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


def seeded_source(fakecloud: FakeCloudProcess, customer, **extra):
    control = fakecloud.control
    control.call("reset")
    settings = control.credentials("ms", TENANT)
    raws = []
    for index, (account, path, meta, folder) in enumerate(PLACES):
        raw = mail(index, "complete", account, BASE + timedelta(hours=index))
        control.seed("ms", TENANT, account, "mail", path, raw, meta)
        raws.append((account, folder, raw))
    config = {**{k: v for k, v in settings.items() if k != "client_secret"}, **extra}
    return source_service.add(customer, "graph", config, settings["client_secret"]), raws


def archived(customer) -> set[tuple[str, str, str]]:
    return {(ref.mailbox.address, ref.folder.path, ref.message.sha256)
            for ref in MessageRef.objects.filter(message__customer=customer).select_related("mailbox", "folder",
                                                                                             "message")}


def test_mailbox_archived_completely_with_archive_recoverable_and_shared(fakecloud, archive_customer):
    source, raws = seeded_source(fakecloud, archive_customer)
    result = source_service.run(source)
    assert result["imported"] == len(PLACES) and result["errors"] == []
    assert archived(archive_customer) == {(account, folder, sha(raw)) for account, folder, raw in raws}
    assert source_service.run(source)["imported"] == 0  # incremental across primary, archive and recoverable


def test_recoverable_items_off_per_source(fakecloud, archive_customer):
    source, raws = seeded_source(fakecloud, archive_customer, recoverable_items=False)
    assert source_service.run(source)["imported"] == len(PLACES) - 2
    assert archived(archive_customer) == {(account, folder, sha(raw)) for account, folder, raw in raws
                                          if not folder.startswith("Recoverable Items")}


def test_online_archive_under_the_german_top_folder(fakecloud, archive_customer):
    source, raws = seeded_source(fakecloud, archive_customer, archive_folder="Online-Archiv")
    assert source.config["archive_folder"] == "Online-Archiv"
    assert source_service.run(source)["imported"] == len(PLACES)
    german = {(account, folder.replace("Online Archive/", "Online-Archiv/", 1), sha(raw))
              for account, folder, raw in raws}
    assert archived(archive_customer) == german
    assert sum(1 for _a, folder, _s in german if folder.startswith("Online-Archiv/")) == 2
    assert not [p for p in MessageRef.objects.values_list("folder__path", flat=True) if "Online Archive" in p]
    with pytest.raises(Exception, match="archive_folder"):
        seeded_source(fakecloud, archive_customer, archive_folder="Archiv")
