"""The archive's database rows and search index are rebuilt from the vault alone."""

from __future__ import annotations

from datetime import UTC

import pytest

from kustos.archive.models import IngestCounter, Mailbox, Message, MessageRef
from kustos.archive.pipeline.contract import Incoming
from kustos.archive.services import recover
from kustos.archive.services import search as search_service
from kustos.archive.services.ingest import Ingestor
from tests.integration.archive.test_archive_flow import make_mail

pytestmark = pytest.mark.django_db


def test_rebuild_database_and_index_from_vault(archive_customer):
    from datetime import datetime, timedelta  # noqa: PLC0415

    base = datetime(2023, 5, 1, tzinfo=UTC)
    items = [Incoming(raw=make_mail(i, "a@x.example", "kim@kunde.example", f"Vertrag {i}", f"Inhalt {i}",
                                    base + timedelta(days=i)),
                      mailbox="kim@kunde.example", folders=["INBOX"] if i % 2 else ["Sent", "Projekte/A"],
                      source="test", envelope_to=["kim@kunde.example"])
             for i in range(12)]
    items.append(Incoming(raw=items[0].raw, mailbox="ole@kunde.example", folders=["INBOX"], source="test"))
    with Ingestor(archive_customer, batch_size=5).session() as ing:
        ing.ingest(items)
    before_msgs = {m.sha256: (m.seq, m.subject, m.retention_year) for m in Message.objects.filter(customer=archive_customer)}
    before_refs = sorted(MessageRef.objects.filter(message__customer=archive_customer)
                         .values_list("message__sha256", "mailbox__address", "folder__path"))
    assert len(before_msgs) == 12 and len(before_refs) == 19

    # lose the database rows and the index
    MessageRef.objects.all().delete()
    Message.objects.all().delete()
    Mailbox.objects.all().delete()
    IngestCounter.objects.all().delete()
    from kustos.core import runtime  # noqa: PLC0415

    runtime.search_index().clear(archive_customer.id)
    runtime.search_index().commit()
    assert search_service.run(archive_customer, "vertrag", search_service.Scope()).total == 0

    result = recover.recover_customer(archive_customer)
    assert result == {"messages": 12, "refs": 19, "indexed": 12, "deleted_by_retention": 0, "new_ids": 0}
    after_msgs = {m.sha256: (m.seq, m.subject, m.retention_year) for m in Message.objects.filter(customer=archive_customer)}
    assert after_msgs == before_msgs
    after_refs = sorted(MessageRef.objects.filter(message__customer=archive_customer)
                        .values_list("message__sha256", "mailbox__address", "folder__path"))
    assert after_refs == before_refs
    assert search_service.run(archive_customer, "vertrag", search_service.Scope()).total == 12
    assert search_service.run(archive_customer, "vertrag", search_service.Scope(["ole@kunde.example"])).total == 1
    # running it again changes nothing
    assert recover.rebuild_database(archive_customer) == {"messages": 0, "refs": 0, "deleted_by_retention": 0,
                                                          "new_ids": 0}
