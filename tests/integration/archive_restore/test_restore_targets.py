"""Which source writes into a target mailbox: the named one, the IMAP source logged in as that mailbox,
the one connection that archived it, the only tenant-wide connection; otherwise a clear error naming
the candidates. Sources of kinds that cannot write into a mailbox are never chosen."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError

from kustos.archive.models import Source
from kustos.archive.pipeline.contract import Incoming
from kustos.archive.services import mailbox_restore_targets as targets
from kustos.archive.services.ingest import Ingestor
from tests.integration.archive_restore.helpers import mail

pytestmark = pytest.mark.django_db


def source(customer, kind: str, **config) -> Source:
    return Source.objects.create(customer=customer, kind=kind, name=f"{kind}-{len(config)}", config=config)


def test_imap_source_of_the_mailbox_wins_and_a_named_source_is_taken(archive_customer):
    anna = source(archive_customer, "imap", host="imap.example", username="anna", mailbox="anna@kunde.example")
    bert = source(archive_customer, "imap", host="imap.example", username="bert", mailbox="bert@kunde.example")
    source(archive_customer, "pop3", host="pop.example", username="anna", mailbox="anna@kunde.example")
    assert targets.for_mailbox(archive_customer, "Anna@Kunde.example") == anna
    assert targets.for_mailbox(archive_customer, "bert@kunde.example") == bert
    assert targets.for_mailbox(archive_customer, "anna@kunde.example", bert.id) == bert
    with pytest.raises(ValidationError, match="no single source serves mailbox 'carl@kunde.example'"):
        targets.for_mailbox(archive_customer, "carl@kunde.example")


def test_tenant_connection_serves_every_other_mailbox_and_two_need_a_choice(archive_customer):
    with pytest.raises(ValidationError, match="no source that can restore"):
        targets.for_mailbox(archive_customer, "lena@kunde.example")
    graph = source(archive_customer, "graph", tenant_id="t1", client_id="c1")
    assert targets.for_mailbox(archive_customer, "lena@kunde.example") == graph
    gmail = source(archive_customer, "gmail", admin_email="admin@kunde.example")
    with pytest.raises(ValidationError, match=f"name one with --source .*{graph.id}"):
        targets.for_mailbox(archive_customer, "lena@kunde.example")
    assert targets.for_mailbox(archive_customer, "lena@kunde.example", gmail.id) == gmail
    raw = mail(1, "graph", "lena@kunde.example", datetime(2024, 1, 1, tzinfo=UTC))
    with Ingestor(archive_customer, workers=1, batch_size=10).session() as ing:  # archived by the graph connection
        ing.ingest([Incoming(raw=raw, mailbox="lena@kunde.example", folders=["Inbox"], source=f"graph:{graph.id}")])
    assert targets.for_mailbox(archive_customer, "lena@kunde.example") == graph
    pop = source(archive_customer, "pop3", host="pop.example", username="x")
    with pytest.raises(ValidationError, match="cannot restore into a mailbox"):
        targets.named(archive_customer, pop.id)
    with pytest.raises(ValidationError, match="no source 'sr_nope'"):
        targets.named(archive_customer, "sr_nope")
