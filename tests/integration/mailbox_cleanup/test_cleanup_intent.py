"""Mailbox cleanup writes its intent before the server deletes: a process that dies after the server
deleted a batch but before recording it leaves a pending ``source.mailbox_cleanup_intent`` naming the
ids and SHA-256, and the next run records those deletions (outcome "recovered") from the server's answer."""

from __future__ import annotations

import hashlib
import subprocess

import pytest
from django.test import Client

from kustos.archive.models import MailboxCleanupMark, MailboxCleanupRun, Message
from kustos.archive.services import mailbox_cleanup
from kustos.archive.services import sources as service
from kustos.archive.services.mailbox_cleanup import engine, intents
from kustos.audit.models import AuditEvent
from kustos.audit.services import verify_chain
from kustos.core import runtime
from kustos.sources.base import ConnectorError
from tests import factories
from tests.integration.mailbox_cleanup.helpers import deliver, imap_config, mail, server_files
from tests.integration.web.session import sign_in

pytestmark = [pytest.mark.dovecot, pytest.mark.django_db]


def _sha(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


class _DiesAfterDeleting:
    """The real cleaner deletes the INBOX part of the batch at the server, then the process fails."""

    def __init__(self, real, failure: BaseException) -> None:
        self.real, self.failure = real, failure

    def delete(self, items, *, to_trash, dry_run):
        if not dry_run:
            self.real.delete([i for i in items if i.scope_id == "INBOX"], to_trash=to_trash, dry_run=False)
            raise self.failure
        return self.real.delete(items, to_trash=to_trash, dry_run=dry_run)

    def close(self) -> None:
        self.real.close()


def _archived(dovecot, customer, user: str) -> tuple[object, list[bytes], list[bytes]]:
    dovecot.add_user(user, f"{user}-pw-1")
    inbox = [mail(i, f"{user}in") for i in range(3)]
    projekt = [mail(i, f"{user}pr") for i in range(2)]
    for raw in inbox:
        deliver(dovecot, user, "INBOX", raw, age_days=60)
    for raw in projekt:
        deliver(dovecot, user, "Projekt", raw, age_days=60)
    source = service.add(customer, "imap", imap_config(dovecot, user), f"{user}-pw-1")
    assert service.run(source)["imported"] == 5
    runtime.store_for(customer.id).ledger.seal(force=True)
    return source, inbox, projekt


def _events(source, action: str, outcome: str | None = None):
    rows = AuditEvent.objects.filter(action=action, target=source.id)
    return list(rows.filter(outcome=outcome) if outcome else rows)


def _logged(events) -> list[tuple[str, str]]:
    return sorted((m["id"], m["sha256"]) for e in events for m in e.detail["messages"])


def test_a_failure_after_the_server_deleted_is_recorded_by_the_next_run(dovecot, archive_customer, monkeypatch):
    source, inbox, projekt = _archived(dovecot, archive_customer, "ina")
    ids = {m.sha256: m.id for m in Message.objects.filter(customer=archive_customer)}
    real = engine.cleaner_for
    monkeypatch.setattr(engine, "cleaner_for",
                        lambda s: _DiesAfterDeleting(real(s), ConnectorError("connection lost after EXPUNGE")))
    with pytest.raises(ConnectorError, match="connection lost"):
        mailbox_cleanup.run(source, older_than_days=30, actor="test")
    monkeypatch.setattr(engine, "cleaner_for", real)

    # the server deleted the INBOX part; only the intent, written first, records it
    assert server_files(dovecot, "ina", "INBOX") == {}
    assert sorted(server_files(dovecot, "ina", "Projekt").values()) == sorted(projekt)
    [intent] = _events(source, intents.INTENT)
    assert intent.outcome == "pending" and intent.detail["action"] == "delete"
    assert _logged([intent]) == sorted((ids[_sha(r)], _sha(r)) for r in inbox + projekt)
    assert _events(source, "source.mailbox_cleanup") == []
    assert not MailboxCleanupMark.objects.exists()
    [failed] = MailboxCleanupRun.objects.filter(source=source.id)
    assert failed.deleted == 0 and "connection lost" in failed.error

    # the next run, from the dashboard in German, records the INBOX deletions and deletes the rest
    admin = sign_in(Client(), factories.user("admin@ina.example", "customer_admin", customer=archive_customer))
    admin.cookies["django_language"] = "de"
    page = admin.post(f"/customers/{archive_customer.id}/sources/{source.id}/cleanup/", {"older_than_days": "30"})
    assert page.status_code == 200
    again = page.context["result"]
    assert (again["recovered"], again["deleted"], again["kept"]) == (3, 2, 0)
    html = page.content.decode()
    assert "Löschungen einer unterbrochenen Bereinigung, jetzt nachgetragen" in html
    assert '<dd data-testid="cleanup-recovered">3</dd>' in html
    assert server_files(dovecot, "ina", "Projekt") == {}
    recovered = _events(source, "source.mailbox_cleanup", "recovered")
    assert _logged(recovered) == sorted((ids[_sha(r)], _sha(r)) for r in inbox)
    assert recovered[0].detail["intent"] == intent.detail["intent"]
    assert _logged(_events(source, "source.mailbox_cleanup", "ok")) == sorted((ids[_sha(r)], _sha(r)) for r in projekt)
    settled = {e.detail["intent"]: e.outcome for e in _events(source, intents.INTENT) if e.outcome != "pending"}
    assert settled[intent.detail["intent"]] == "recovered" and len(settled) == 2
    assert intents.unsettled(source) == []
    assert MailboxCleanupMark.objects.filter(outcome="deleted").count() == 5
    failed.refresh_from_db()
    assert (failed.deleted, failed.freed_bytes) == (3, sum(len(r) for r in inbox))
    assert mailbox_cleanup.freed_bytes(archive_customer.id) == sum(len(r) for r in inbox + projekt)

    third = mailbox_cleanup.run(source, older_than_days=30, actor="test")
    assert (third["recovered"], third["deleted"], third["kept"]) == (0, 0, 0)
    assert verify_chain().ok


def test_a_killed_process_is_reconciled_only_once_it_is_gone(dovecot, archive_customer, monkeypatch):
    source, inbox, projekt = _archived(dovecot, archive_customer, "kim")
    ids = {m.sha256: m.id for m in Message.objects.filter(customer=archive_customer)}
    stand_in = subprocess.Popen(["sleep", "120"])  # the process that "wrote" the intent
    try:
        real = engine.cleaner_for
        monkeypatch.setattr(engine, "cleaner_for", lambda s: _DiesAfterDeleting(real(s), SystemExit(9)))
        monkeypatch.setattr(intents.os, "getpid", lambda: stand_in.pid)
        with pytest.raises(SystemExit):  # the process ends without recording anything but its intent
            mailbox_cleanup.run(source, older_than_days=30, actor="test")
        monkeypatch.undo()
        [killed] = MailboxCleanupRun.objects.filter(source=source.id)
        assert killed.finished_at is None
        assert server_files(dovecot, "kim", "INBOX") == {}

        # while that process lives, its batch is left alone: nothing recorded, nothing deleted
        busy = mailbox_cleanup.run(source, older_than_days=30, actor="test")
        assert (busy["recovered"], busy["deleted"], busy["kept"]) == (0, 0, 5)
        assert {s["reason"] for s in busy["skipped"]} == {engine.BUSY}
        assert sorted(server_files(dovecot, "kim", "Projekt").values()) == sorted(projekt)
        assert len(intents.unsettled(source)) == 1
    finally:
        stand_in.kill()
        stand_in.wait()

    after = mailbox_cleanup.run(source, older_than_days=30, actor="test")
    assert (after["recovered"], after["deleted"], after["kept"]) == (3, 2, 0)
    assert _logged(_events(source, "source.mailbox_cleanup", "recovered")) == sorted(
        (ids[_sha(r)], _sha(r)) for r in inbox)
    assert server_files(dovecot, "kim", "Projekt") == {}
    killed.refresh_from_db()
    assert killed.finished_at is not None and killed.deleted == 3 and "interrupted" in killed.error
    assert intents.unsettled(source) == []


def test_a_dry_run_writes_no_intent(dovecot, archive_customer):
    source, inbox, projekt = _archived(dovecot, archive_customer, "dora")
    dry = mailbox_cleanup.run(source, older_than_days=30, dry_run=True, actor="test")
    assert (dry["deleted"], dry["recovered"]) == (5, 0)
    assert _events(source, intents.INTENT) == []
    assert sorted(server_files(dovecot, "dora", "INBOX").values()) == sorted(inbox)
