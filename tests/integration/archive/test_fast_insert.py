"""The ingest's bulk INSERT (archive.pipeline.fast_insert) stores exactly what Django's own save
would: every column read back equal, ``auto_now_add`` stamped, unique conflicts skipped on request,
and the inserted objects behave as saved ones."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from kustos.archive.models import Folder, Mailbox, Message, MessageRef
from kustos.archive.pipeline import fast_insert

pytestmark = pytest.mark.django_db
SENT = datetime(2021, 5, 4, 3, 2, 1, tzinfo=UTC)


def _message(customer, n: int) -> Message:
    return Message(id=f"ms_fast{n:08d}", customer=customer, seq=n, sha256=f"{n:064x}", vault_id=f"v{n}", size=100 + n,
                   message_id=f"<{n}@x>", subject=f"Grüße {n} \u2603", from_addr="a@x.example",
                   to_addrs=["b@y.example", "Jürgen <j@y.example>"], date=SENT, has_attachments=n % 2 == 0,
                   attachment_count=n % 3, retention_year=2031, retention_end=date(2031, 12, 31))


def test_rows_read_back_as_inserted_and_behave_as_saved(archive_customer):
    before = timezone.now()
    rows = [_message(archive_customer, n) for n in range(3)]
    fast_insert.insert(Message, rows)
    for row in rows:
        got = Message.objects.get(id=row.id)
        for field in Message._meta.concrete_fields:
            assert getattr(got, field.attname) == getattr(row, field.attname), field.name
        assert got.archived_at >= before and got.date == SENT and got.to_addrs[1] == "Jürgen <j@y.example>"
        assert got.retention_end == date(2031, 12, 31) and got.indexed is False
    rows[0].subject = "changed"
    rows[0].save()  # an update, not a second insert
    assert Message.objects.filter(customer=archive_customer).count() == 3
    assert Message.objects.get(id=rows[0].id).subject == "changed"


def test_conflicts_are_skipped_only_when_asked(archive_customer):
    msg = _message(archive_customer, 7)
    fast_insert.insert(Message, [msg])
    box = Mailbox.objects.create(customer=archive_customer, address="kim@kunde.example")
    folder = Folder.objects.create(mailbox=box, path="INBOX")

    def ref(flags: list[str]) -> MessageRef:
        return MessageRef(message_id=msg.id, mailbox_id=box.id, folder_id=folder.id, source="imap:s",
                          envelope_to=["kim@kunde.example"], received_at=SENT, flags=flags)

    fast_insert.insert(MessageRef, [ref(["\\Seen"]), ref(["\\Flagged"])], ignore_conflicts=True)
    refs = list(MessageRef.objects.filter(message_id=msg.id))
    assert [(r.flags, r.received_at, r.envelope_to) for r in refs] == [(["\\Seen"], SENT, ["kim@kunde.example"])]
    assert refs[0].added_at is not None
    with pytest.raises(IntegrityError), transaction.atomic():
        fast_insert.insert(MessageRef, [ref([])])
