"""UID stability: when a folder gains an already archived message (a UID below ones a client has
seen) the folder's UIDVALIDITY changes for the users it concerns, so a syncing client starts over
and fetches it; users the change cannot concern keep their UIDVALIDITY (no needless re-sync)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kustos.accounts import access
from kustos.accounts.services import users
from kustos.archive.models import Message, MessageRef
from kustos.archive.pipeline.contract import Incoming
from kustos.archive.services import messages
from kustos.archive.services.ingest import Ingestor
from kustos.imapd import uids
from kustos.lifecycle.services.gdpr_erase import restrict
from tests.integration.imapd.conftest import ALICE, World, mail


def _state(world: World, user: str, folder: str) -> tuple[int, list[int]]:
    """(UIDVALIDITY, UIDs) of ``folder`` as a fresh connection of ``user`` sees it."""
    imap = world.login(user)
    try:
        typ, _ = imap.select(f'"{folder}"', readonly=True)
        assert typ == "OK"
        validity = int(imap.response("UIDVALIDITY")[1][0])
        typ, data = imap.uid("SEARCH", "ALL")
        assert typ == "OK"
        return validity, [int(u) for u in data[0].split()]
    finally:
        imap.logout()


def _uid(world: World, subject: str) -> int:
    return MessageRef.objects.get(message=world.by_subject[subject], folder__path="INBOX").id


def test_lifting_a_restriction_changes_uidvalidity_and_lists_the_message(world: World):
    old = world.by_subject["Rechnung Januar"]  # alice's oldest message: the lowest UID of her INBOX
    restrict([old])
    before_validity, before = _state(world, ALICE, "INBOX")
    admin_validity, admin_uids = _state(world, world.admin.email, f"{ALICE}/INBOX")
    assert _uid(world, "Rechnung Januar") not in before and before and _uid(world, "Rechnung Januar") < max(before)
    assert _uid(world, "Rechnung Januar") in admin_uids  # an admin sees restricted mail
    # The restriction is lifted (the data-protection officer's decision), then recorded.
    Message.objects.filter(id=old.id).update(restricted=False)
    access.visibility_widened(world.customer, actor="dpo@kunde.example", reason="restriction lifted", target=old.id)
    after_validity, after = _state(world, ALICE, "INBOX")
    assert after_validity != before_validity
    assert sorted(after) == sorted([*before, _uid(world, "Rechnung Januar")])
    # A syncing client that starts over fetches the message's bytes.
    imap = world.login(ALICE)
    imap.select("INBOX", readonly=True)
    typ, data = imap.uid("FETCH", str(_uid(world, "Rechnung Januar")), "(BODY.PEEK[])")
    imap.logout()
    assert typ == "OK" and data[0][1] == world.raw[old.id]
    # The administrator saw the message all along: no re-sync for them.
    assert _state(world, world.admin.email, f"{ALICE}/INBOX") == (admin_validity, admin_uids)


def test_flagging_tax_relevant_widens_only_the_tax_limited_auditor(world: World):
    folder = f"{ALICE}/INBOX"
    auditor_validity, auditor_uids = _state(world, world.auditor.email, folder)
    alice_validity, _ = _state(world, ALICE, "INBOX")
    report = _uid(world, "Quarterly report")
    assert report not in auditor_uids and report < max(auditor_uids)
    messages.flag_tax_relevant(world.by_subject["Quarterly report"], True, actor=world.admin)
    validity, uids_now = _state(world, world.auditor.email, folder)
    assert validity != auditor_validity and report in uids_now
    assert _state(world, ALICE, "INBOX")[0] == alice_validity  # alice saw it all along
    # Unflagging narrows the view: nothing to re-sync for.
    messages.flag_tax_relevant(world.by_subject["Quarterly report"], False, actor=world.admin)
    assert _state(world, world.auditor.email, folder) == (validity, sorted(set(uids_now) - {report}))


def test_a_widened_auditor_grant_changes_uidvalidity(world: World):
    folder = f"{ALICE}/INBOX"
    validity, before = _state(world, world.auditor.email, folder)
    users.grant(world.auditor, world.customer, expires_at=timezone.now() + timedelta(days=5),
                tax_relevant_only=False, mailboxes=[ALICE], actor=world.admin)
    after_validity, after = _state(world, world.auditor.email, folder)
    assert after_validity != validity and after_validity > validity
    assert _uid(world, "Quarterly report") in after and set(before) < set(after)


def test_status_reports_the_same_uidvalidity_as_select(world: World):
    restrict([world.by_subject["Rechnung Januar"]])
    access.visibility_widened(world.customer, actor="test", reason="restriction lifted")
    validity, _ = _state(world, ALICE, "INBOX")
    imap = world.login(ALICE)
    typ, data = imap.status("INBOX", "(UIDVALIDITY)")
    imap.logout()
    assert typ == "OK" and int(re.search(rb"UIDVALIDITY (\d+)", data[0]).group(1)) == validity


def test_uidvalidity_values():
    assert uids.uidvalidity(42, 0) == 42  # before any widening: the folder id, as before
    values = [uids.uidvalidity(42, g) for g in range(5)]
    assert values == sorted(set(values)) and all(0 < v < 2**32 for v in values)
    assert 0 < uids.uidvalidity(2**32 - 2, 10**6) < 2**32
    with pytest.raises(ValueError, match="folder id must be positive"):
        uids.uidvalidity(0, 1)


def test_references_are_created_under_the_customers_ingest_lock(world: World):
    """The reason a late commit cannot put a UID below a visible one (``kustos.imapd.uids``, point 2):
    the transaction that inserts references has locked the customer's ingest counter first."""
    item = Incoming(raw=mail(99, ALICE, "Nachzügler", timezone.now(), False), mailbox=ALICE, folders=["INBOX"],
                    source="test")
    with CaptureQueriesContext(connection) as queries, Ingestor(world.customer, workers=1).session() as ingestor:
        assert ingestor.ingest([item]).imported == 1
    sql = [q["sql"] for q in queries.captured_queries]
    lock = next(i for i, s in enumerate(sql) if "archive_ingestcounter" in s and s.lstrip().upper().startswith("SELECT"))
    # (an executemany is recorded as "N times: INSERT ...")
    insert = next(i for i, s in enumerate(sql) if re.match(r'\s*(\d+ times: )?INSERT\b[^"]*INTO "archive_messageref"', s, re.I))
    assert lock < insert
    assert "FOR UPDATE" in sql[lock] or not connection.features.has_select_for_update
    # Nothing between them ends the transaction that holds the lock.
    assert not any(s.strip().upper() in ("COMMIT", "ROLLBACK") or s.upper().startswith("RELEASE SAVEPOINT")
                   for s in sql[lock:insert])
