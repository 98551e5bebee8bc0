"""Sources end to end: Dovecot IMAP/POP3, fakecloud Graph, SMTP journaling into the archive."""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.utils import timezone

from fakecloud.testing import running_fakecloud
from kustos.archive.models import Message, MessageRef, Source
from kustos.archive.services import journal
from kustos.archive.services import sources as service
from kustos.cli.smtp_service import SmtpService
from kustos.core import runtime
from tests.servers.smtp import swaks
from tests.servers.tls import free_port
from tests.unit.sources_mail.journal_samples import ORIGINAL, build_report


def mail(i: int, tag: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"sender{i}@partner.example"
    msg["To"] = "anna@kunde.example"
    msg["Subject"] = f"{tag} message {i}"
    msg["Message-ID"] = f"<{tag}{i}@partner.example>"
    msg.set_content(f"{tag} body {i}")
    return msg.as_bytes().replace(b"\n", b"\r\n")


@pytest.mark.dovecot
@pytest.mark.django_db
def test_imap_source_all_folders_incremental(dovecot, archive_customer):
    dovecot.add_user("anna", "anna-pw-1")
    for i in range(4):
        dovecot.deliver("anna", "INBOX", mail(i, "inbox"))
    for i in range(3):
        dovecot.deliver("anna", "Sent", mail(i, "sent"))
    source = service.add(archive_customer, "imap", {"host": "127.0.0.1", "port": dovecot.imaps_port,
                                                   "security": "tls", "username": "anna",
                                                   "mailbox": "anna@kunde.example", "tls_verify": False},
                         "anna-pw-1")
    assert "anna-pw-1" not in source.secret  # sealed at rest
    assert service.test(source) == {"ok": True, "error": None}
    first = service.run(source)
    assert first["imported"] == 7
    folders = sorted(set(MessageRef.objects.filter(message__customer=archive_customer)
                         .values_list("folder__path", flat=True)))
    assert folders == ["INBOX", "Sent"]
    dovecot.deliver("anna", "INBOX", mail(10, "late"))
    source.refresh_from_db()
    second = service.run(source)
    assert second["imported"] == 1 and second["fetched"] == 1
    source.refresh_from_db()
    assert source.items_archived == 8 and source.consecutive_failures == 0 and service.status(source) == "ok"

    wrong = service.add(archive_customer, "imap", {"host": "127.0.0.1", "port": dovecot.imaps_port, "security": "tls",
                                                  "username": "anna", "tls_verify": False}, "wrong-password")
    result = service.test(wrong)
    assert result["ok"] is False and "password" in result["error"].lower()
    nohost = service.add(archive_customer, "imap", {"host": "nonexistent.invalid", "username": "x"}, "y")
    assert service.test(nohost)["ok"] is False


@pytest.mark.django_db
def test_graph_source_through_fakecloud(archive_customer, corpus):
    with running_fakecloud() as fc:
        ctl = fc.control
        ctl.ms_app("tenant-1", "client-1", "secret-1", ["Mail.Read", "User.Read.All"])
        user = ctl.ms_user("tenant-1", "lena@kunde.example")
        inbox = ctl.ms_folder("tenant-1", user, "Inbox")
        raws = [mail(i, "graph") for i in range(5)]
        for raw in raws:
            ctl.ms_message("tenant-1", user, inbox, raw)
        source = service.add(archive_customer, "graph", {"tenant_id": "tenant-1", "client_id": "client-1",
                                                        "endpoint": fc.base_url}, "secret-1")
        assert service.test(source)["ok"] is True
        assert service.run(source)["imported"] == 5
        stored = set(Message.objects.filter(customer=archive_customer).values_list("sha256", flat=True))
        assert stored == {hashlib.sha256(r).hexdigest() for r in raws}
        boxes = set(MessageRef.objects.filter(message__customer=archive_customer)
                    .values_list("mailbox__address", flat=True))
        assert boxes == {"lena@kunde.example"}
        source.refresh_from_db()
        assert service.run(source)["imported"] == 0  # delta: nothing new
        bad = service.add(archive_customer, "graph", {"tenant_id": "tenant-1", "client_id": "client-1",
                                                     "endpoint": fc.base_url}, "wrong")
        assert service.test(bad)["ok"] is False


@pytest.mark.smtp
@pytest.mark.django_db(transaction=True)
def test_smtp_journaling_into_archive(archive_customer, tmp_path: Path):
    port = free_port()
    address = journal.address(archive_customer)
    journal.configure(archive_customer, trusted_hosts=["127.0.0.0/8"])  # reports are unwrapped from here only
    if True:
        smtp = SmtpService(runtime.settings(), "127.0.0.1", port).start()
        try:
            plain = mail(1, "journal")
            (tmp_path / "plain.eml").write_bytes(plain)
            out = swaks(port, "--to", address, "--from", "anna@kunde.example", "--data", f"@{tmp_path / 'plain.eml'}")
            assert " 250 " in out.stdout or "250 " in out.stdout, out.stdout
            rejected = swaks(port, "--to", "nobody@" + runtime.settings().smtp_domain, "--from", "a@b.c")
            assert "550" in rejected.stdout
            report = build_report()
            (tmp_path / "report.eml").write_bytes(report)
            out = swaks(port, "--to", address, "--from", "journal@kunde.example", "--data", f"@{tmp_path / 'report.eml'}")
            assert "250 " in out.stdout, out.stdout
            deadline = time.time() + 20
            while time.time() < deadline and Message.objects.filter(customer=archive_customer).count() < 2:
                time.sleep(0.3)
        finally:
            smtp.stop()
    msgs = {m.sha256: m for m in Message.objects.filter(customer=archive_customer)}
    assert hashlib.sha256(ORIGINAL).hexdigest() in msgs, "journal report must be unwrapped byte-exact"
    original = msgs[hashlib.sha256(ORIGINAL).hexdigest()]
    recipients = set()
    for ref in original.refs.all():
        recipients.update(ref.envelope_to)
    assert "dave@fabrikam.com" in recipients  # the BCC recipient of the report is kept
    assert Source.objects.count() == 0


@pytest.mark.dovecot
@pytest.mark.django_db
def test_imap_delete_on_server_after_archiving(dovecot, archive_customer):
    dovecot.add_user("bert", "bert-pw-1")
    for i in range(3):
        dovecot.deliver("bert", "INBOX", mail(i, "cleanup"))
    config = {"host": "127.0.0.1", "port": dovecot.imaps_port, "security": "tls", "username": "bert",
              "mailbox": "bert@kunde.example", "tls_verify": False}
    source = service.add(archive_customer, "imap", config, "bert-pw-1")
    first = service.run(source)
    assert first["imported"] == 3 and "deleted_on_server" not in first
    service.update(source, {"delete_after_days": 0})
    # 0 days disables the clean-up; 1 day keeps fresh mail on the server
    service.update(source, {"delete_after_days": 1})
    source.refresh_from_db()
    assert service.run(source)["deleted_on_server"] == 0
    MessageRef.objects.filter(source=f"imap:{source.id}").update(added_at=timezone.now() - timedelta(days=2))
    source.refresh_from_db()
    assert service.run(source)["deleted_on_server"] == 3
    source.refresh_from_db()
    after = service.run(source)
    assert after["imported"] == 0  # deletion markers are not archived; the mail stays in the archive
    assert Message.objects.filter(customer=archive_customer).count() == 3
    remaining = list((dovecot.maildir("bert", "INBOX") / "cur").iterdir()) + list(
        (dovecot.maildir("bert", "INBOX") / "new").iterdir())
    assert remaining == []
