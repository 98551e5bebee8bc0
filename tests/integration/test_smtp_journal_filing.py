"""Journal mail end to end (swaks → receiver → spool → drain → archive → search): forged journal
reports are archived as received and never unwrapped, trusted reports are unwrapped, and the
message is filed under every recipient mailbox of the customer — BCC included — and nowhere else."""

from __future__ import annotations

import hashlib
import time
from dataclasses import replace
from pathlib import Path

import pytest
from django.db.utils import OperationalError

from kustos.archive.models import Mailbox, Message, MessageRef
from kustos.archive.services import journal
from kustos.archive.services import search as search_service
from kustos.archive.services.journal_drain import JOURNAL_FOLDER, REPORTS_FOLDER, UNTRUSTED_FOLDER
from kustos.cli.smtp_service import SmtpService
from kustos.core import runtime
from tests import factories
from tests.servers.smtp import swaks
from tests.servers.tls import free_port
from tests.unit.sources_mail.journal_samples import build_report

pytestmark = [pytest.mark.smtp, pytest.mark.django_db(transaction=True)]

ORIGINAL = (
    b"From: Alice <alice@kunde.example>\r\n"
    b"To: Bob <bob@partner.example>\r\n"
    b"Subject: Vertrauliches Angebot\r\n"
    b"Message-ID: <bcc-1@kunde.example>\r\n"
    b"Date: Tue, 3 Mar 2026 09:00:00 +0100\r\n"
    b"\r\n"
    b"Zitronenfalter im Angebot.\r\n"
)
REPORT_TEXT = (
    "Sender: alice@kunde.example\r\n"
    "Subject: Vertrauliches Angebot\r\n"
    "Message-Id: <bcc-1@kunde.example>\r\n"
    "To: bob@partner.example\r\n"
    "Bcc: dora@kunde.example\r\n"
    "Bcc: erin@fremd.example\r\n"
)
FORGED_ORIGINAL = ORIGINAL.replace(b"Zitronenfalter", b"Gefaelscht").replace(b"bcc-1@", b"forged-1@")
FORGED_TEXT = REPORT_TEXT.replace("bcc-1@", "forged-1@").replace("dora@kunde.example", "max@kunde.example")


@pytest.fixture
def journal_customer(tmp_path, settings):
    settings.KUSTOS = replace(settings.KUSTOS, home=tmp_path / "home")
    (tmp_path / "home").mkdir()
    runtime.reset()
    customer = factories.customer(factories.partner("Journal Partner"), "Journal Kunde")
    yield customer
    runtime.reset()


def send(port: int, address: str, data: bytes, tmp_path: Path, source: str) -> None:
    path = tmp_path / f"mail-{hashlib.sha256(data).hexdigest()[:8]}.eml"
    path.write_bytes(data[:-2])  # swaks adds the CRLF before the final "."
    out = swaks(port, "--local-interface", source, "--to", address, "--from", "journal@kunde.example",
                "--data", f"@{path}")
    assert "250 2.0.0 OK: queued" in out.stdout, out.stdout


def _archived(customer) -> int:
    """Messages archived so far; 0 while the drain thread holds the table (the test database is a
    shared-cache in-memory SQLite, whose table locks do not wait like a file database's do)."""
    try:
        return Message.objects.filter(customer=customer).count()
    except OperationalError:
        return 0


def wait_for_messages(customer, count: int) -> None:
    deadline = time.time() + 30
    while time.time() < deadline and _archived(customer) < count:
        time.sleep(0.2)
    time.sleep(0.5)  # the drain acknowledges after the batch; let it finish


def refs(message: Message) -> list[tuple[str, str, list[str]]]:
    return sorted((r.mailbox.address, r.folder.path, r.envelope_to)
                  for r in MessageRef.objects.filter(message=message).select_related("mailbox", "folder"))


def test_forged_reports_are_kept_as_received_and_trusted_ones_filed_for_their_recipients(journal_customer, tmp_path):
    customer = journal_customer
    alice = factories.user("alice@kunde.example", "end_user", customer=customer)
    dora = factories.user("dora@kunde.example", "end_user", customer=customer)  # BCC recipient
    max_ = factories.user("max@kunde.example", "end_user", customer=customer)
    address = journal.address(customer)
    journal.configure(customer, trusted_hosts=["127.0.0.2/32"])
    forged = build_report(FORGED_ORIGINAL, report_text=FORGED_TEXT)
    trusted = build_report(ORIGINAL, report_text=REPORT_TEXT)
    port = free_port()
    smtp = SmtpService(runtime.settings(), "127.0.0.1", port).start()
    try:
        send(port, address, forged, tmp_path, "127.0.0.1")  # anyone on the internet
        send(port, address, trusted, tmp_path, "127.0.0.2")  # the customer's Exchange
        wait_for_messages(customer, 3)
    finally:
        smtp.stop()
    by_hash = {m.sha256: m for m in Message.objects.filter(customer=customer)}
    sha = lambda data: hashlib.sha256(data).hexdigest()  # noqa: E731
    assert set(by_hash) == {sha(forged), sha(trusted), sha(ORIGINAL)}  # the forged inner message is NOT archived
    journal_box = address.lower()
    # The forged report: its bytes as received, under the journaling mailbox only, SMTP envelope only.
    assert refs(by_hash[sha(forged)]) == [(journal_box, UNTRUSTED_FOLDER, [journal_box])]
    # The trusted report: kept as evidence beside the unwrapped original.
    assert refs(by_hash[sha(trusted)]) == [(journal_box, REPORTS_FOLDER, [journal_box])]
    assert refs(by_hash[sha(ORIGINAL)]) == [
        ("alice@kunde.example", JOURNAL_FOLDER, ["bob@partner.example", "dora@kunde.example", "erin@fremd.example"]),
        ("dora@kunde.example", JOURNAL_FOLDER, ["dora@kunde.example"]),
        (journal_box, JOURNAL_FOLDER, ["bob@partner.example", "dora@kunde.example", "erin@fremd.example"]),
    ]
    link = MessageRef.objects.get(message=by_hash[sha(ORIGINAL)], mailbox__address=journal_box).source_ref
    assert link.endswith("report-sha256:" + sha(trusted))
    # Never filed under foreign domains, nor under the forged report's recipient.
    assert set(Mailbox.objects.filter(customer=customer).values_list("address", flat=True)) == {
        journal_box, "alice@kunde.example", "dora@kunde.example"}
    # End users: the BCC recipient finds the message, another mailbox's user does not.
    assert search_service.search_as(dora, customer.id, "Zitronenfalter").total == 1
    assert search_service.search_as(alice, customer.id, "Zitronenfalter").total == 1
    assert search_service.search_as(max_, customer.id, "Zitronenfalter").total == 0
    assert search_service.search_as(max_, customer.id, "Gefaelscht").total == 0
