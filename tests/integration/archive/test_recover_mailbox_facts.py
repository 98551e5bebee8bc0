"""The mailbox's receive time and flags are kept in the vault's arrival records too: a database rebuilt
from the vault alone gives every reference the same ``received_at`` and ``flags``; a reference first
seen with them keeps them when the same message arrives in the same folder again with others."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kustos.archive.models import IngestCounter, Mailbox, Message, MessageRef
from kustos.archive.pipeline.contract import Incoming
from kustos.archive.services import recover
from kustos.archive.services.ingest import Ingestor
from tests.integration.archive.test_archive_flow import make_mail

pytestmark = pytest.mark.django_db
RECEIVED = datetime(2019, 3, 14, 9, 20, 30, tzinfo=UTC)


def _facts(customer) -> dict[tuple[str, str], tuple[datetime | None, list[str]]]:
    return {(r.message.sha256, r.folder.path): (r.received_at, list(r.flags))
            for r in MessageRef.objects.filter(message__customer=customer).select_related("message", "folder")}


def test_receive_time_and_flags_survive_a_rebuild_from_the_vault_and_a_second_arrival(archive_customer):
    raws = [make_mail(i, "a@x.example", "kim@kunde.example", f"Beleg {i}", f"Inhalt {i}",
                      datetime(2019, 3, 1, tzinfo=UTC) + timedelta(days=i)) for i in range(3)]
    items = [Incoming(raw=raws[0], mailbox="kim@kunde.example", folders=["INBOX"], source="imap:x",
                      received_at=RECEIVED, flags=["\\Flagged", "$Forwarded"]),
             Incoming(raw=raws[1], mailbox="kim@kunde.example", folders=["INBOX"], source="imap:x",
                      received_at=RECEIVED + timedelta(days=1), flags=[]),
             Incoming(raw=raws[2], mailbox="kim@kunde.example", folders=["INBOX"], source="import")]
    with Ingestor(archive_customer, batch_size=5).session() as ing:
        ing.ingest(items)
    before = _facts(archive_customer)
    assert sorted(before.values(), key=str) == sorted([(RECEIVED, ["\\Flagged", "$Forwarded"]),
                                                       (RECEIVED + timedelta(days=1), []), (None, [])], key=str)

    # Seen again in the same folder, read and with another time now: the archived facts stay the first.
    with Ingestor(archive_customer, batch_size=5).session() as ing:
        ing.ingest([Incoming(raw=raws[1], mailbox="kim@kunde.example", folders=["INBOX"], source="imap:x",
                             received_at=RECEIVED + timedelta(days=9), flags=["\\Seen"])])
    assert _facts(archive_customer) == before

    MessageRef.objects.all().delete()
    Message.objects.all().delete()
    Mailbox.objects.all().delete()
    IngestCounter.objects.all().delete()
    assert recover.rebuild_database(archive_customer)["refs"] == 3
    assert _facts(archive_customer) == before
