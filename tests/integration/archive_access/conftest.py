"""A customer with mail of two mailboxes over 2024, some flagged tax-relevant, one message
journaled to both mailboxes (with a BCC recipient in the envelope), and an auditor whose grant
allows tax-relevant mail of alice's mailbox from February to August 2024."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

import pytest
from django.test import Client
from django.utils import timezone

from kustos.accounts.models import AuditorGrant, User
from kustos.accounts.services import tokens, users
from kustos.archive.models import Message
from kustos.archive.pipeline.contract import Incoming
from kustos.archive.services import messages
from kustos.archive.services.ingest import Ingestor
from kustos.core import runtime
from kustos.tenants.models import Customer
from tests import factories
from tests.integration.web.session import sign_in

ALICE, BOB, SECRET_BCC = "alice@kunde.example", "bob@kunde.example", "geheim-bcc@kunde.example"
TAX = {0, 2, 3, 4, 8, 10}  # i of the messages flagged tax-relevant
# Grant: Feb 1 .. Aug 31 2024, alice only, tax-relevant only -> messages 2 and 4 (6 is not flagged,
# 3 is bob's, 0 and 8 are outside the period).
ALLOWED = {2, 4}


def mail(i: int, owner: str, when: datetime, subject: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"lieferant{i}@supplier.example"
    msg["To"] = owner
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = f"<access{i}@supplier.example>"
    msg.set_content(f"Rechnung {i} quarterly")
    msg.add_attachment(f"Beleg {i}".encode(), maintype="text", subtype="plain", filename=f"beleg-{i}.txt")
    return msg.as_bytes()


@dataclass
class World:
    customer: Customer
    by_i: dict[int, Message]
    shared: Message
    auditor: User
    grant: AuditorGrant
    admin: User
    end_user: User
    tokens: dict[str, str]

    def allowed_ids(self) -> set[str]:
        return {self.by_i[i].id for i in ALLOWED}

    def client(self, who: str) -> Client:
        return sign_in(Client(), getattr(self, who))

    def api(self, who: str) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.tokens[who]}"}

    def part(self, message: Message) -> str:
        return messages.parsed(message).attachments[0].part_path


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db, tmp_path, settings) -> World:
    settings.KUSTOS = type(settings.KUSTOS)(**{**settings.KUSTOS.__dict__, "home": tmp_path / "home"})
    (tmp_path / "home").mkdir()
    runtime.reset()
    customer = factories.customer(factories.partner("Zugriff Partner"), "Zugriff Kunde")
    base = datetime(2024, 1, 15, 12, 0, tzinfo=timezone.get_current_timezone())
    items = [Incoming(raw=mail(i, ALICE if i % 2 == 0 else BOB, base + timedelta(days=30 * i), f"Beleg {i}"),
                      mailbox=ALICE if i % 2 == 0 else BOB, folders=["INBOX"], source="test") for i in range(12)]
    shared_raw = mail(99, ALICE, base + timedelta(days=60), "Rundschreiben an alle")
    for box in (ALICE, BOB):
        items.append(Incoming(raw=shared_raw, mailbox=box, folders=["Vertraulich" if box == BOB else "INBOX"],
                              source="smtp", envelope_from="chef@kunde.example",
                              envelope_to=[ALICE, BOB, SECRET_BCC]))
    with Ingestor(customer, workers=1, batch_size=20).session() as ing:
        assert ing.ingest(items).imported == 13
    by_i = {i: Message.objects.get(customer=customer, subject=f"Beleg {i}") for i in range(12)}
    for i in TAX:
        messages.flag_tax_relevant(by_i[i], True, actor="test")
    auditor = factories.user("pruefer@finanzamt.example", "auditor")
    grant = users.grant(auditor, customer, expires_at=timezone.now() + timedelta(days=5),
                        date_from=date(2024, 2, 1), date_to=date(2024, 8, 31), tax_relevant_only=True,
                        mailboxes=[ALICE])
    admin = factories.user("it@kunde.example", "customer_admin", customer=customer)
    end_user = factories.user(ALICE, "end_user", customer=customer)
    secrets = {who: tokens.create(u, "t")[1] for who, u in
               (("auditor", auditor), ("admin", admin), ("end_user", end_user))}
    yield World(customer, by_i, Message.objects.get(customer=customer, subject="Rundschreiben an alle"),
                auditor, grant, admin, end_user, secrets)
    runtime.reset()
