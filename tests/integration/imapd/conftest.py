"""An archive with two mailboxes and nested / non-ASCII folders, the users who may see parts of it,
and the read-only IMAP server started on 127.0.0.1 (random port) in a thread of the test process."""

from __future__ import annotations

import hashlib
import imaplib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

import pytest
from django.utils import timezone

from kustos.accounts.models import AuditorGrant, User
from kustos.accounts.services import users
from kustos.archive.models import Message
from kustos.archive.pipeline.contract import Incoming
from kustos.archive.services import messages
from kustos.archive.services.ingest import Ingestor
from kustos.core import runtime
from kustos.imapd.adapter import ArchiveAuthenticator
from kustos.imapd.limits import Limits
from kustos.imapd.server import IMAPServer
from kustos.tenants.models import Customer
from tests import factories

ALICE, BOB = "alice@kunde.example", "bob@kunde.example"
PASSWORD = factories.PASSWORD
#: (mailbox, folder, subject, tax-relevant, crlf)
LAYOUT = [
    (ALICE, "INBOX", "Rechnung Januar", True, False),
    (ALICE, "INBOX", "Quarterly report", False, False),
    (ALICE, "INBOX", "Lieferschein Februar", True, True),
    (ALICE, "Sent", "Antwort an Lieferant", False, False),
    (ALICE, "Projekte/Übersicht", "Projektplan Müller", False, False),
    (BOB, "INBOX", "Bobs Gehaltsabrechnung", False, False),
    (BOB, "INBOX", "Rechnung März Bob", True, False),
    (BOB, "Vertraulich", "Vertrauliche Notiz", False, False),
]


def mail(i: int, owner: str, subject: str, when: datetime, crlf: bool) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Lieferant {i} <lieferant{i}@supplier.example>"
    msg["To"] = owner
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = f"<imap{i}@supplier.example>"
    msg.set_content(f"Hallo, anbei Beleg {i}. Grüße aus Köln.\nZeile zwei quarterly{i}\n")
    if i % 2 == 0:
        msg.add_attachment(f"Beleg {i}".encode(), maintype="application", subtype="pdf", filename=f"beleg-{i}.pdf")
    raw = msg.as_bytes()
    return raw.replace(b"\n", b"\r\n") if crlf else raw


@dataclass
class World:
    customer: Customer
    by_subject: dict[str, Message]
    raw: dict[str, bytes]  # message id -> original bytes
    admin: User
    alice: User
    bob: User
    auditor: User
    grant: AuditorGrant
    host: str = "127.0.0.1"
    port: int = 0
    server: IMAPServer | None = field(default=None, repr=False)

    def connect(self) -> imaplib.IMAP4:
        return imaplib.IMAP4(self.host, self.port, timeout=30)

    def login(self, email: str, password: str = PASSWORD) -> imaplib.IMAP4:
        imap = self.connect()
        imap.login(email, password)
        return imap

    def ids_in(self, mailbox: str, folder: str) -> set[str]:
        return {m.id for m in Message.objects.filter(customer=self.customer, refs__mailbox__address=mailbox,
                                                     refs__folder__path=folder)}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def start_server(**kwargs) -> IMAPServer:
    limits = kwargs.pop("limits", Limits(failure_delay=0.0, login_timeout=30))
    return IMAPServer(ArchiveAuthenticator(), host="127.0.0.1", port=0, limits=limits, **kwargs).start_in_thread()


@pytest.fixture
def world(transactional_db, tmp_path, settings) -> Iterator[World]:
    settings.KUSTOS = type(settings.KUSTOS)(**{**settings.KUSTOS.__dict__, "home": tmp_path / "home"})
    (tmp_path / "home").mkdir()
    runtime.reset()
    customer = factories.customer(factories.partner("IMAP Partner"), "IMAP Kunde")
    base = datetime(2024, 1, 10, 9, 30, tzinfo=timezone.get_current_timezone())
    items = [Incoming(raw=mail(i, box, subject, base + timedelta(days=40 * i), crlf), mailbox=box, folders=[folder],
                      source="test") for i, (box, folder, subject, _, crlf) in enumerate(LAYOUT)]
    with Ingestor(customer, workers=1, batch_size=20).session() as ing:
        assert ing.ingest(items).imported == len(LAYOUT)
    by_subject = {m.subject: m for m in Message.objects.filter(customer=customer)}
    for _, _, subject, tax, _ in LAYOUT:
        if tax:
            messages.flag_tax_relevant(by_subject[subject], True, actor="test")
    raw = {m.id: messages.raw(m) for m in by_subject.values()}
    admin = factories.user("it@kunde.example", "customer_admin", customer=customer)
    alice = factories.user(ALICE, "end_user", customer=customer)
    bob = factories.user(BOB, "end_user", customer=customer)
    auditor = factories.user("pruefer@finanzamt.example", "auditor")
    grant = users.grant(auditor, customer, expires_at=timezone.now() + timedelta(days=5),
                        date_from=date(2024, 1, 1), date_to=date(2024, 6, 30), tax_relevant_only=True,
                        mailboxes=[ALICE])
    server = start_server()
    w = World(customer, by_subject, raw, admin, alice, bob, auditor, grant, port=server.port, server=server)
    try:
        yield w
    finally:
        server.stop()
        runtime.reset()
