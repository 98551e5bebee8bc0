"""FETCH returns the archived bytes, SEARCH answers what the dashboard search answers, every write
command is refused, and fetches are in the audit log (message ids, never content)."""

from __future__ import annotations

import imaplib
import re

import pytest

from kustos.archive.services import search as search_service
from kustos.audit.models import AuditEvent
from tests.integration.imapd.conftest import ALICE, BOB, LAYOUT, World, sha


def _uids_and_ids(world: World, imap: imaplib.IMAP4) -> dict[int, str]:
    """UID -> archive id, by the Message-ID header of each message."""
    typ, data = imap.uid("FETCH", "1:*", "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
    assert typ == "OK"
    by_mid = {m.message_id: m.id for m in world.by_subject.values()}
    out = {}
    for part in data:
        if isinstance(part, tuple):
            uid = int(re.search(rb"UID (\d+)", part[0]).group(1))
            mid = part[1].decode().split(":", 1)[1].strip()
            out[uid] = by_mid[mid]
    return out


def test_fetch_body_is_byte_identical_for_every_message(world: World):
    imap = world.login(world.admin.email)
    seen = set()
    for box, folder in sorted({(b, f) for b, f, *_ in LAYOUT}):
        name = f"{box}/{folder}".replace("Übersicht", "&ANw-bersicht")
        typ, data = imap.select(f'"{name}"', readonly=True)
        assert typ == "OK", name
        assert int(data[0]) == len(world.ids_in(box, folder))
        ids = _uids_and_ids(world, imap)
        for uid, archive_id in ids.items():
            typ, data = imap.uid("FETCH", str(uid), "(RFC822.SIZE BODY.PEEK[])")
            assert typ == "OK"
            body = data[0][1]
            assert sha(body) == sha(world.raw[archive_id])
            assert f"RFC822.SIZE {len(body)}".encode() in data[0][0]
            typ, data = imap.uid("FETCH", str(uid), "(RFC822)")
            assert data[0][1] == world.raw[archive_id]
            seen.add(archive_id)
        # Partial fetch: a window of the original bytes.
        first = min(ids)
        typ, data = imap.uid("FETCH", str(first), "(BODY.PEEK[]<10.25>)")
        assert data[0][1] == world.raw[ids[first]][10:35] and b"BODY[]<10>" in data[0][0]
        typ, data = imap.uid("FETCH", str(first), "(BODY[HEADER])")
        assert isinstance(data[0], tuple), data
        raw = world.raw[ids[first]]
        assert raw.startswith(data[0][1]) and data[0][1].endswith((b"\r\n\r\n", b"\n\n"))
    assert seen == set(world.raw)
    imap.close()
    imap.logout()
    events = AuditEvent.objects.filter(action="imap.fetch", actor=world.admin.email)
    assert {i for e in events for i in e.detail["messages"]} == set(world.raw)
    assert all(e.detail["count"] == len(e.detail["messages"]) for e in events)
    assert not any("Grüße" in str(e.detail) for e in events)  # ids only, never content


def test_envelope_flags_structure_and_dates(world: World):
    imap = world.login(ALICE)
    imap.select("INBOX", readonly=True)
    typ, data = imap.fetch("1", "(FLAGS INTERNALDATE ENVELOPE BODYSTRUCTURE UID)")
    assert typ == "OK"
    line = data[0] if isinstance(data[0], bytes) else data[0][0]
    assert b"FLAGS (\\Seen)" in line and b'INTERNALDATE "10-Jan-2024' in line
    assert b'"Rechnung Januar"' in line and b'"lieferant0" "supplier.example"' in line
    assert b'("TEXT" "PLAIN"' in line and b'"MIXED")' in line  # message 0 has an attachment
    typ, data = imap.fetch("1", "(BODY.PEEK[2])")
    assert data[0][1] == b"QmVsZWcgMA==\n"  # the attachment part's encoded content, as archived


def test_uids_and_uidvalidity_are_stable(world: World):
    first = world.login(ALICE)
    typ, _ = first.select("INBOX", readonly=True)
    validity = first.response("UIDVALIDITY")[1][0]
    uids = first.uid("SEARCH", "ALL")[1][0].split()
    first.logout()
    again = world.login(ALICE)
    again.select("INBOX", readonly=True)
    assert again.response("UIDVALIDITY")[1][0] == validity
    assert again.uid("SEARCH", "ALL")[1][0].split() == uids
    typ, data = again.status("INBOX", "(MESSAGES UIDNEXT UIDVALIDITY UNSEEN)")
    assert typ == "OK" and f"UIDVALIDITY {int(validity)}".encode() in data[0]
    assert f"UIDNEXT {int(uids[-1]) + 1}".encode() in data[0]
    again.logout()


def _imap_search(imap: imaplib.IMAP4, *criteria: str) -> list[int]:
    typ, data = imap.uid("SEARCH", *criteria)
    assert typ == "OK", data
    return [int(x) for x in data[0].split()]


@pytest.mark.parametrize(("criteria", "query"), [
    (("SUBJECT", '"Rechnung"'), 'subject:"Rechnung"'),
    (("FROM", "lieferant0@supplier.example"), 'from:"lieferant0@supplier.example"'),
    (("TO", ALICE), f'to:"{ALICE}"'),
    (("BODY", "quarterly2"), 'body:"quarterly2"'),
    (("TEXT", "Lieferschein"), '"Lieferschein"'),
    (("SENTSINCE", "1-Feb-2024"), "after:2024-02-01"),
    (("SENTBEFORE", "1-Feb-2024"), "before:2024-02-01"),
    (("SENTON", "10-Jan-2024"), "date:2024-01-10"),
    # Mail archived without a receive time: INTERNALDATE is the Date header, so these agree too.
    (("SINCE", "1-Feb-2024"), "after:2024-02-01"),
    (("BEFORE", "1-Feb-2024"), "before:2024-02-01"),
    (("ON", "10-Jan-2024"), "date:2024-01-10"),
    (("NOT", "SUBJECT", "Rechnung"), '* NOT subject:"Rechnung"'),
    (("OR", "SUBJECT", "Rechnung", "SUBJECT", "Quarterly"), 'subject:"Rechnung" OR subject:"Quarterly"'),
])
def test_search_equals_the_dashboard_search(world: World, criteria: tuple, query: str):
    imap = world.login(ALICE)
    imap.select("INBOX", readonly=True)
    ids = _uids_and_ids(world, imap)
    got = {ids[u] for u in _imap_search(imap, *criteria)}
    result = search_service.search_as(world.alice, world.customer.id, f"({query}) folder:INBOX", limit=100)
    assert got == {h.id for h in result.hits}
    assert got, criteria  # no criterion here is vacuous: each finds mail ...
    if criteria[0] != "TO":  # ... and all but TO (every message is to alice) leave some out
        assert got < set(ids.values()), criteria
    imap.logout()


def test_search_uid_ranges_and_sequence_numbers(world: World):
    imap = world.login(ALICE)
    imap.select("INBOX", readonly=True)
    uids = _imap_search(imap, "ALL")
    assert len(uids) == 3
    assert _imap_search(imap, "UID", f"{uids[1]}:*") == uids[1:]
    assert _imap_search(imap, "2:3") == uids[1:]
    assert _imap_search(imap, "UID", f"{uids[0]}", "SUBJECT", "Rechnung") == [uids[0]]
    assert _imap_search(imap, "OR", "UID", str(uids[0]), "SUBJECT", "Lieferschein") == [uids[0], uids[2]]
    assert _imap_search(imap, "NOT", "UID", str(uids[0])) == uids[1:]
    typ, data = imap.search(None, "SUBJECT", "Quarterly")
    assert data[0].split() == [b"2"]
    assert _imap_search(imap, "UNSEEN") == [] and _imap_search(imap, "DELETED") == []
    imap.logout()


def test_search_never_reaches_beyond_visibility(world: World):
    imap = world.login(world.auditor.email)
    imap.select(f"{ALICE}/INBOX", readonly=True)
    ids = _uids_and_ids(world, imap)
    assert set(ids.values()) == {world.by_subject["Rechnung Januar"].id, world.by_subject["Lieferschein Februar"].id}
    assert {ids[u] for u in _imap_search(imap, "TEXT", "quarterly1")} == set()  # not tax-relevant: hidden
    assert len(_imap_search(imap, "ALL")) == 2
    imap.logout()


WRITES = [
    ("STORE", ("1", "+FLAGS", "(\\Deleted)")),
    ("COPY", ("1", "Sent")),
    ("EXPUNGE", ()),
    ("CREATE", ("Neu",)),
    ("DELETE", ("INBOX",)),
    ("RENAME", ("INBOX", "Alt")),
    ("SUBSCRIBE", ("INBOX",)),
    ("UNSUBSCRIBE", ("INBOX",)),
]


def test_every_write_command_answers_no(world: World):
    imap = world.login(ALICE)
    imap.select("INBOX", readonly=True)
    before = {m: sha(r) for m, r in world.raw.items()}
    for name, args in WRITES:
        typ, data = imap._simple_command(name, *args)
        assert typ == "NO", name
        assert b"[CANNOT] The archive is read-only" in data[-1], name
    for sub in ("STORE 1 +FLAGS (\\Seen)", "COPY 1 Sent", "MOVE 1 Sent", "EXPUNGE 1"):
        typ, data = imap._simple_command("UID", *sub.split(" "))
        assert typ == "NO" and b"read-only" in data[-1], sub
    # APPEND is refused before the client sends the message (no continuation is offered).
    typ, data = imap.append("INBOX", None, None, b"From: x@y\r\nSubject: injected\r\n\r\nhi\r\n")
    assert typ == "NO" and b"[CANNOT]" in data[-1]
    imap.logout()
    assert {m: sha(r) for m, r in world.raw.items()} == before
    assert world.customer.messages.count() == len(LAYOUT)
    assert not world.customer.messages.filter(subject="injected").exists()


def test_select_is_read_only_and_close_expunges_nothing(world: World):
    imap = world.login(BOB)
    with pytest.raises(imaplib.IMAP4.readonly):  # even a read-write SELECT is answered [READ-ONLY]
        imap.select("INBOX")
    imap.is_readonly = True  # imaplib's own bookkeeping after the refusal above
    assert imap.close()[0] == "OK"
    typ, data = imap.select("INBOX", readonly=True)
    assert int(data[0]) == 2
    assert imap.unselect()[0] == "OK"
    imap.logout()
