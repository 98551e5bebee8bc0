"""The built-in IMAP server serves each message's archived receive time as INTERNALDATE and its archived
flags in FETCH FLAGS (mail archived without them: the Date header and ``\\Seen``, as before); SEARCH
flag keys answer from the same flags; nothing a client does changes them (BODY[] does not add
``\\Seen``, STORE is refused)."""

from __future__ import annotations

import imaplib
import re
from datetime import UTC, datetime

from kustos.archive.models import MessageRef
from tests.integration.imapd.conftest import ALICE, World

RECEIVED = datetime(2019, 3, 14, 9, 20, 30, tzinfo=UTC)


def _by_subject(world: World, imap: imaplib.IMAP4) -> dict[str, tuple[int, bytes]]:
    """subject -> (UID, the FETCH response line with INTERNALDATE and FLAGS)."""
    typ, data = imap.uid("FETCH", "1:*", "(INTERNALDATE FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert typ == "OK"
    out = {}
    for part in data:
        if isinstance(part, tuple):
            uid = int(re.search(rb"UID (\d+)", part[0]).group(1))
            subject = part[1].decode().split(":", 1)[1].strip()
            out[subject] = (uid, part[0])
    return out


def test_internaldate_and_flags_are_the_archived_ones_and_read_only(world: World):
    unread = world.by_subject["Rechnung Januar"]
    flagged = world.by_subject["Quarterly report"]
    MessageRef.objects.filter(message=unread, folder__path="INBOX").update(received_at=RECEIVED, flags=[])
    MessageRef.objects.filter(message=flagged, folder__path="INBOX").update(
        received_at=RECEIVED.replace(day=15), flags=["\\Seen", "\\Flagged", "$Forwarded"])
    imap = world.login(world.admin.email)
    typ, _ = imap.select(f'"{ALICE}/INBOX"', readonly=True)
    assert typ == "OK"
    assert any(b"$Forwarded" in line for line in imap.untagged_responses.get("FLAGS", []))
    rows = _by_subject(world, imap)
    uid_unread, line = rows["Rechnung Januar"]
    assert b'INTERNALDATE "14-Mar-2019 09:20:30 +0000"' in line and b"FLAGS ()" in line
    uid_flagged, line = rows["Quarterly report"]
    assert b'INTERNALDATE "15-Mar-2019 09:20:30 +0000"' in line
    assert b"FLAGS (\\Seen \\Flagged $Forwarded)" in line
    uid_old, line = rows["Lieferschein Februar"]  # archived without the mailbox's facts: as before
    old = world.by_subject["Lieferschein Februar"].date.astimezone(UTC).strftime("%d-%b-%Y %H:%M:%S +0000")
    assert f'INTERNALDATE "{old}"'.encode() in line and b"FLAGS (\\Seen)" in line

    def search(*criteria: str) -> set[int]:
        typ, data = imap.uid("SEARCH", *criteria)
        assert typ == "OK", data
        return {int(x) for x in data[0].split()}

    assert search("UNSEEN") == {uid_unread}
    assert search("SEEN") == {uid_flagged, uid_old}
    assert search("FLAGGED") == {uid_flagged}
    assert search("KEYWORD", "$Forwarded") == {uid_flagged}
    assert search("UNKEYWORD", "$Forwarded") == {uid_unread, uid_old}
    # SINCE/BEFORE/ON ask the receive time (INTERNALDATE), SENT* the Date header (RFC 3501 6.4.4).
    assert search("ON", "14-Mar-2019") == {uid_unread}
    assert search("BEFORE", "15-Mar-2019") == {uid_unread}
    assert search("SINCE", "15-Mar-2019") == {uid_flagged, uid_old}
    assert search("SENTON", "14-Mar-2019") == set()
    assert uid_unread in search("SENTSINCE", "1-Jan-2020")

    # BODY[] (not PEEK) on the unread message: the content, and the archive still says unread.
    typ, data = imap.uid("FETCH", str(uid_unread), "(BODY[])")
    assert typ == "OK" and data[0][1] == world.raw[unread.id]
    assert b"FLAGS" not in data[0][0]
    typ, data = imap.uid("FETCH", str(uid_unread), "(FLAGS)")
    assert b"FLAGS ()" in data[0]
    typ, data = imap.uid("STORE", str(uid_unread), "+FLAGS", "(\\Seen)")
    assert typ == "NO"
    assert MessageRef.objects.get(message=unread, folder__path="INBOX").flags == []
    imap.logout()
