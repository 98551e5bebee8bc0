"""Restore to mailbox against a real Dovecot: archived over IMAP, deleted on the server, put back with
APPEND byte for byte (sha256 of what the server returns), INTERNALDATE and flags = the server's own
when the message was archived, folders created, and a second restore skips everything (also a message
without a Message-ID, matched by the SHA-256 of its bytes)."""

from __future__ import annotations

import imaplib
import re
from datetime import UTC, datetime, timedelta

import pytest

from kustos.archive.models import Message, MessageRef
from kustos.archive.services import sources as source_service
from kustos.audit.models import AuditEvent
from kustos.cli import registry
from tests.integration.archive_restore import helpers
from tests.integration.archive_restore.helpers import mail, restore, sha

pytestmark = [pytest.mark.dovecot, pytest.mark.django_db]
USER, PASSWORD, ADDRESS = "rita", "rita-pw-1", "rita@kunde.example"
BASE = datetime(2023, 5, 4, 9, 30, tzinfo=UTC)


def imap(dovecot) -> imaplib.IMAP4:
    return helpers.imap(dovecot, USER, PASSWORD)


def folder_contents(dovecot, folder: str) -> list[tuple[bytes, datetime]]:
    """(bytes, INTERNALDATE) of every message in ``folder`` (empty when the folder does not exist)."""
    conn = imap(dovecot)
    try:
        typ, _ = conn.select(f'"{folder}"', readonly=True)
        if typ != "OK":
            return []
        typ, data = conn.uid("FETCH", "1:*", "(INTERNALDATE BODY.PEEK[])")
        out = []
        for part in data:
            if isinstance(part, tuple):
                found = re.search(rb'INTERNALDATE "([^"]+)"', part[0])
                assert found is not None
                when = datetime.strptime(found.group(1).decode().strip(), "%d-%b-%Y %H:%M:%S %z")
                out.append((part[1], when.astimezone(UTC)))
        return out
    finally:
        conn.logout()


def wipe(dovecot, folder: str) -> None:
    helpers.wipe(lambda: imap(dovecot), folder)


@pytest.fixture
def archived(dovecot, archive_customer):
    """Five messages of rita (3 INBOX, 2 Sent) archived through an IMAP source, then deleted on the server."""
    dovecot.add_user(USER, PASSWORD)
    raws = {"INBOX": [mail(i, "inbox", ADDRESS, BASE + timedelta(days=i)) for i in range(3)],
            "Sent": [mail(i, "sent", ADDRESS, BASE + timedelta(days=10 + i)) for i in range(2)]}
    for folder, items in raws.items():
        for raw in items:
            dovecot.deliver(USER, folder, raw)
    source = source_service.add(archive_customer, "imap", {"host": "127.0.0.1", "port": dovecot.imap_port,
                                                          "security": "none", "username": USER,
                                                          "mailbox": ADDRESS}, PASSWORD)
    assert source_service.run(source)["imported"] == 5
    for folder in raws:
        wipe(dovecot, folder)
        assert folder_contents(dovecot, folder) == []
    return archive_customer, source, raws


def local_time(when: datetime) -> datetime:
    return when.astimezone(UTC)


def test_whole_mailbox_comes_back_byte_identical_and_twice_is_skipped(dovecot, archived):
    customer, source, raws = archived
    report = restore(customer, mailbox=ADDRESS)
    assert report["restored"] == 5 and report["skipped"] == 0 and report["failed"] == []
    for folder, items in raws.items():
        back = folder_contents(dovecot, folder)
        assert sorted(sha(raw) for raw, _ in back) == sorted(sha(raw) for raw in items)
        dates = {sha(raw): when for raw, when in back}
        for raw in items:  # INTERNALDATE is the one the server had when the message was archived
            ref = MessageRef.objects.get(message__customer=customer, message__sha256=sha(raw))
            assert ref.received_at is not None and ref.flags == []  # delivered unread
            assert dates[sha(raw)] == local_time(ref.received_at)
    again = restore(customer, mailbox=ADDRESS)
    assert again == {"restored": 0, "skipped": 5, "failed": [], "skipped_reasons": []}
    assert len(folder_contents(dovecot, "INBOX")) == 3 and len(folder_contents(dovecot, "Sent")) == 2
    done = AuditEvent.objects.filter(action="archive.restore.done", customer_id=customer.id).order_by("seq")
    assert [e.detail["restored"] for e in done] == [5, 0]
    assert source.id in done.first().detail["sources"]


def test_selected_messages_into_a_new_restore_folder_via_cli(dovecot, archived, capsys):
    customer, _source, raws = archived
    wanted = [Message.objects.get(customer=customer, sha256=sha(raw)) for raw in raws["Sent"]]
    capsys.readouterr()
    argv = ["restore", "--customer", customer.id, "--to-folder", "Wiederhergestellt/2023", "--json"]
    for m in wanted:
        argv += ["--id", m.id]
    code = registry.run(argv)
    out = capsys.readouterr()
    assert code == 0, out.err
    assert '"restored": 2' in out.out and '"skipped": 0' in out.out and '"failed": []' in out.out
    back = folder_contents(dovecot, "Wiederhergestellt.2023")  # Dovecot's Maildir++ delimiter is "."
    assert sorted(sha(raw) for raw, _ in back) == sorted(m.sha256 for m in wanted)
    assert folder_contents(dovecot, "Sent") == []  # only the named folder received them
    event = AuditEvent.objects.filter(action="archive.restore", customer_id=customer.id).latest("seq")
    assert event.detail["origin"] == "cli" and sorted(event.detail["message_ids"]) == sorted(m.id for m in wanted)
    assert event.detail["to_folder"] == "Wiederhergestellt/2023"
    # a query restores into the original folders; what is already there is skipped
    capsys.readouterr()
    code = registry.run(["restore", "--customer", customer.id, "--json", "subject:inbox"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert '"restored": 3' in out.out
    assert len(folder_contents(dovecot, "INBOX")) == 3


def test_cli_refuses_a_restore_without_a_selection(archive_customer, capsys):
    capsys.readouterr()
    code = registry.run(["restore", "--customer", archive_customer.id, "--json"])
    out = capsys.readouterr()
    assert code == 1 and "name what to restore" in out.err and out.err.count("\n") == 1
