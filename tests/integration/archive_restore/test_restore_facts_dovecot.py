"""The mailbox's own facts survive archive → delete → restore on a real Dovecot: a message APPENDed
with INTERNALDATE 2019-03-14 10:20:30 +0100 and flags ``\\Flagged $Forwarded`` is archived with exactly
those (MessageRef.received_at/flags), and the restored copy answers the same INTERNALDATE and FLAGS.
A message without a Message-ID is found again by the SHA-256 of its bytes: a second restore skips it."""

from __future__ import annotations

import imaplib
import re
from datetime import UTC, datetime

import pytest

from kustos.archive.models import MessageRef
from kustos.archive.services import sources as source_service
from tests.integration.archive_restore.helpers import restore, sha

pytestmark = [pytest.mark.dovecot, pytest.mark.django_db]
USER, PASSWORD, ADDRESS = "frida", "frida-pw-1", "frida@kunde.example"

FLAGGED = (b"From: Lieferant <l@partner.example>\r\nTo: frida@kunde.example\r\nSubject: Mahnung 2019\r\n"
           b"Date: Thu, 14 Mar 2019 08:00:00 +0000\r\nMessage-ID: <mahnung-2019@partner.example>\r\n\r\n"
           b"Bitte zahlen.\r\n")
NO_ID = (b"From: Kasse <k@partner.example>\r\nTo: frida@kunde.example\r\nSubject: Beleg ohne Kennung\r\n"
         b"Date: Fri, 15 Mar 2019 11:00:00 +0000\r\n\r\nBeleg ohne Message-ID.\r\n")
ORIGINAL = {  # sha256 -> (INTERNALDATE as APPENDed, flags)
    sha(FLAGGED): (datetime(2019, 3, 14, 9, 20, 30, tzinfo=UTC), {"\\Flagged", "$Forwarded"}),
    sha(NO_ID): (datetime(2019, 3, 15, 17, 45, 0, tzinfo=UTC), {"\\Seen", "\\Answered"}),
}


def imap(dovecot) -> imaplib.IMAP4:
    conn = imaplib.IMAP4("127.0.0.1", dovecot.imap_port)
    conn.login(USER, PASSWORD)
    return conn


def inbox(dovecot) -> dict[str, tuple[datetime, set[str]]]:
    """sha256 -> (INTERNALDATE, FLAGS) of every INBOX message, read without changing \\Seen."""
    conn = imap(dovecot)
    try:
        conn.select("INBOX", readonly=True)
        typ, data = conn.uid("FETCH", "1:*", "(INTERNALDATE FLAGS BODY.PEEK[])")
        assert typ == "OK"
        out = {}
        for part in data:
            if isinstance(part, tuple):
                when = re.search(rb'INTERNALDATE "([^"]+)"', part[0])
                flags = re.search(rb"FLAGS \(([^)]*)\)", part[0])
                assert when is not None and flags is not None, part[0]
                moment = datetime.strptime(when.group(1).decode().strip(), "%d-%b-%Y %H:%M:%S %z").astimezone(UTC)
                out[sha(part[1])] = (moment, set(flags.group(1).decode().split()) - {"\\Recent"})
        return out
    finally:
        conn.logout()


def wipe(dovecot) -> None:
    conn = imap(dovecot)
    try:
        conn.select("INBOX")
        conn.store("1:*", "+FLAGS", "\\Deleted")
        conn.expunge()
    finally:
        conn.logout()


def test_internaldate_and_flags_come_back_and_a_mail_without_message_id_is_not_restored_twice(
        dovecot, archive_customer):
    dovecot.add_user(USER, PASSWORD)
    conn = imap(dovecot)
    assert conn.append("INBOX", "(\\Flagged $Forwarded)", '"14-Mar-2019 10:20:30 +0100"', FLAGGED)[0] == "OK"
    assert conn.append("INBOX", "(\\Seen \\Answered)", '"15-Mar-2019 18:45:00 +0100"', NO_ID)[0] == "OK"
    conn.logout()
    assert inbox(dovecot) == ORIGINAL  # what the server itself reports

    source = source_service.add(archive_customer, "imap", {"host": "127.0.0.1", "port": dovecot.imap_port,
                                                          "security": "none", "username": USER,
                                                          "mailbox": ADDRESS}, PASSWORD)
    assert source_service.run(source)["imported"] == 2
    refs = {r.message.sha256: r for r in MessageRef.objects.filter(message__customer=archive_customer)
            .select_related("message")}
    assert {k: (r.received_at, set(r.flags)) for k, r in refs.items()} == ORIGINAL
    assert refs[sha(NO_ID)].message.message_id == ""

    # Read since, and fetched again in full (the server lost its UIDs): the archived facts stay the first.
    conn = imap(dovecot)
    conn.select("INBOX")
    conn.store("1:*", "+FLAGS", "\\Seen")
    conn.logout()
    dovecot.reset_uidvalidity(USER, "INBOX")
    assert all("\\Seen" in flags for _when, flags in inbox(dovecot).values())
    assert source_service.run(source)["imported"] == 0
    assert {r.message.sha256: set(r.flags) for r in MessageRef.objects.filter(message__customer=archive_customer)
            .select_related("message")} == {k: v[1] for k, v in ORIGINAL.items()}

    wipe(dovecot)
    assert inbox(dovecot) == {}
    report = restore(archive_customer, mailbox=ADDRESS)
    assert report == {"restored": 2, "skipped": 0, "failed": [], "skipped_reasons": []}
    assert inbox(dovecot) == ORIGINAL  # same bytes, same INTERNALDATE, same flags

    again = restore(archive_customer, mailbox=ADDRESS)
    assert again == {"restored": 0, "skipped": 2, "failed": [], "skipped_reasons": []}
    assert len(inbox(dovecot)) == 2  # the message without Message-ID was matched by its bytes
