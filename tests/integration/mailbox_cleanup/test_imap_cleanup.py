"""Mailbox cleanup on a real Dovecot: only old, archived, sealed, indexed, unquarantined mail is deleted;
exact counts and freed bytes; the dry run changes nothing; the trash action moves; the archive is unchanged."""

from __future__ import annotations

import hashlib

import pytest

from kustos.archive.models import MailboxCleanupMark, MailboxCleanupRun, Message, Quarantine
from kustos.archive.services import mailbox_cleanup
from kustos.archive.services import sources as service
from kustos.audit.models import AuditEvent
from kustos.core import runtime
from tests.integration.mailbox_cleanup.helpers import deliver, imap_config, mail, server_files

pytestmark = [pytest.mark.dovecot, pytest.mark.django_db]


def _sha(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def _archive_unchanged(customer, expected: dict[str, bytes]) -> None:
    """Every archived message is still there, its vault bytes hashing to its recorded SHA-256."""
    store = runtime.store_for(customer.id)
    rows = {m.sha256: m for m in Message.objects.filter(customer=customer)}
    assert set(rows) == set(expected)
    for sha, m in rows.items():
        assert _sha(store.get(m.vault_id)) == sha == _sha(expected[sha])


def test_only_archived_sealed_indexed_old_mail_is_deleted(dovecot, archive_customer):
    dovecot.add_user("anna", "anna-pw-1")
    old = [mail(i, "old") for i in range(6)]
    new = [mail(i, "new") for i in range(2)]
    for raw in old:
        deliver(dovecot, "anna", "INBOX", raw, age_days=60)
    for raw in new:
        deliver(dovecot, "anna", "INBOX", raw)
    source = service.add(archive_customer, "imap", imap_config(dovecot, "anna"), "anna-pw-1")
    assert service.run(source)["imported"] == 8
    everything = {_sha(r): r for r in old + new}

    # nothing is sealed yet: every old message is kept and named
    unsealed = mailbox_cleanup.run(source, older_than_days=30, dry_run=True, actor="test")
    assert (unsealed["deleted"], unsealed["kept"], unsealed["freed_bytes"]) == (0, 6, 0)
    assert {s["reason"] for s in unsealed["skipped"]} == {"not sealed yet"}

    runtime.store_for(archive_customer.id).ledger.seal(force=True)
    by_sha = {m.sha256: m for m in Message.objects.filter(customer=archive_customer)}
    unindexed, quarantined, tampered = (by_sha[_sha(old[i])] for i in range(3))
    Message.objects.filter(id=unindexed.id).update(indexed=False)
    ref = quarantined.refs.get()
    Quarantine.objects.create(customer=archive_customer, source=ref.source, source_ref=ref.source_ref,
                              reason="damaged on a later fetch", size=0)
    Message.objects.filter(id=tampered.id).update(sha256="0" * 64)
    deletable = old[3:]

    before = server_files(dovecot, "anna", "INBOX")
    dry = mailbox_cleanup.run(source, older_than_days=30, dry_run=True, actor="test")
    assert (dry["deleted"], dry["kept"], dry["freed_bytes"]) == (3, 3, sum(len(r) for r in deletable))
    assert server_files(dovecot, "anna", "INBOX") == before  # the dry run changed nothing at the server
    assert not MailboxCleanupMark.objects.exists()
    assert not AuditEvent.objects.filter(action="source.mailbox_cleanup").exists()

    done = mailbox_cleanup.run(source, older_than_days=30, actor="test")
    assert (done["deleted"], done["kept"], done["freed_bytes"]) == (3, 3, sum(len(r) for r in deletable))
    assert {s["id"]: s["reason"] for s in done["skipped"]} == {
        unindexed.id: "not indexed", quarantined.id: "quarantined", tampered.id: "vault bytes differ"}
    left = sorted(server_files(dovecot, "anna", "INBOX").values())
    assert left == sorted(new + old[:3])  # the fresh mail and the three that were not safe stay

    events = AuditEvent.objects.filter(action="source.mailbox_cleanup")
    logged = [(m["id"], m["sha256"]) for e in events for m in e.detail["messages"]]
    assert sorted(logged) == sorted((by_sha[_sha(r)].id, _sha(r)) for r in deletable)

    Message.objects.filter(id=tampered.id).update(sha256=_sha(old[2]))
    _archive_unchanged(archive_customer, everything)  # the archive holds every message, byte-exact

    again = mailbox_cleanup.run(source, older_than_days=30, actor="test")
    # the ones deleted before are not read again; the repaired one may go now, the other two stay
    assert (again["deleted"], again["kept"], again["freed_bytes"]) == (1, 2, len(old[2]))
    assert sorted(server_files(dovecot, "anna", "INBOX").values()) == sorted(new + old[:2])
    assert MailboxCleanupRun.objects.filter(source=source.id).count() == 4
    assert mailbox_cleanup.freed_bytes(archive_customer.id) == sum(len(r) for r in old[2:])  # dry runs free nothing


def test_folder_choice_and_rule_of_the_source(dovecot, archive_customer):
    dovecot.add_user("bea", "bea-pw-1")
    inbox = [mail(i, "inbox") for i in range(2)]
    kept = [mail(i, "projekt") for i in range(2)]
    for raw in inbox:
        deliver(dovecot, "bea", "INBOX", raw, age_days=40)
    for raw in kept:
        deliver(dovecot, "bea", "Projekt", raw, age_days=40)
    source = service.add(archive_customer, "imap", imap_config(dovecot, "bea"), "bea-pw-1")
    assert service.run(source)["imported"] == 4
    with pytest.raises(Exception, match="no cleanup rule"):
        mailbox_cleanup.run(source, actor="test")
    service.update(source, {"cleanup_older_than_days": 30, "cleanup_folders": ["INBOX"]})
    source.refresh_from_db()
    result = service.run(source)  # the scheduled rule: seals the open batch, then cleans up
    assert result["deleted_on_server"] == 2
    assert server_files(dovecot, "bea", "INBOX") == {}
    assert sorted(server_files(dovecot, "bea", "Projekt").values()) == sorted(kept)
    source.refresh_from_db()
    assert service.run(source)["deleted_on_server"] == 0  # nothing new, nothing read twice


def test_trash_action_moves_to_the_trash_folder(dovecot, archive_customer):
    dovecot.add_user("cleo", "cleo-pw-1")
    old = [mail(i, "trash") for i in range(3)]
    for raw in old:
        deliver(dovecot, "cleo", "INBOX", raw, age_days=100)
    fresh = mail(9, "fresh")
    deliver(dovecot, "cleo", "INBOX", fresh)
    source = service.add(archive_customer, "imap",
                         imap_config(dovecot, "cleo", cleanup_older_than_days=90, cleanup_action="trash",
                                     exclude=["Trash"]), "cleo-pw-1")
    result = service.run(source)
    assert (result["imported"], result["deleted_on_server"]) == (4, 3)
    assert list(server_files(dovecot, "cleo", "INBOX").values()) == [fresh]
    assert sorted(server_files(dovecot, "cleo", "Trash").values()) == sorted(old)
    run = MailboxCleanupRun.objects.get(source=source.id)
    assert (run.deleted, run.to_trash, run.freed_bytes) == (3, True, sum(len(r) for r in old))


def test_a_changed_uidvalidity_keeps_the_messages(dovecot, archive_customer):
    dovecot.add_user("dirk", "dirk-pw-1")
    old = [mail(i, "uidv") for i in range(2)]
    for raw in old:
        deliver(dovecot, "dirk", "INBOX", raw, age_days=50)
    source = service.add(archive_customer, "imap", imap_config(dovecot, "dirk"), "dirk-pw-1")
    assert service.run(source)["imported"] == 2
    runtime.store_for(archive_customer.id).ledger.seal(force=True)
    dovecot.reset_uidvalidity("dirk", "INBOX")  # the archived UIDs now name other messages, or none
    result = mailbox_cleanup.run(source, older_than_days=30, actor="test")
    assert (result["deleted"], result["kept"]) == (0, 2)
    assert {s["reason"] for s in result["skipped"]} == {"UIDVALIDITY changed"}
    assert sorted(server_files(dovecot, "dirk", "INBOX").values()) == sorted(old)
    assert (mailbox_cleanup.run(source, older_than_days=30, actor="test")["kept"]) == 0  # not asked again
