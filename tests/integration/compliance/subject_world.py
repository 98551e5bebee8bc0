"""The mails and people of the legal-hold and data-subject tests (requirements 12, 22, 23).

A customer whose mailbox anna@kunde.example holds mail that concerns the data subject
kunde.person@extern.example in every way the archive knows (sender, To, Cc, Bcc, Reply-To,
journal envelope only, named in the text), a look-alike address that must not count, and unrelated mail; a mail of
another mailbox; a customer admin, a partner admin, anna as end user and an auditor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

import pytest
from django.test import Client
from django.utils import timezone

from kustos.accounts.models import User
from kustos.accounts.services import tokens, users
from kustos.archive.models import Message
from kustos.archive.pipeline.contract import Incoming
from kustos.archive.services.ingest import Ingestor
from kustos.core import runtime
from kustos.tenants.models import Customer
from tests import factories
from tests.integration.web.session import sign_in

ANNA, BOB = "anna@kunde.example", "bob@kunde.example"
SUBJECT = "kunde.person@extern.example"
LOOKALIKE = "x.kunde.person@extern.example"
EXPIRED, FUTURE = date(2020, 12, 31), date(2031, 12, 31)

#: name -> (headers, envelope_to, retention_end, mailbox)
MAILS: dict[str, tuple[dict[str, str], list[str], date, str]] = {
    "from_subject": ({"From": SUBJECT, "To": ANNA, "Subject": "Anfrage Angebot"}, [], EXPIRED, ANNA),
    "to_subject": ({"From": ANNA, "To": f"Kunde Person <{SUBJECT}>", "Subject": "Angebot 2024"}, [], FUTURE, ANNA),
    "cc_subject": ({"From": "lieferant@supplier.example", "To": ANNA, "Cc": SUBJECT, "Subject": "Lieferung"},
                   [], EXPIRED, ANNA),
    "bcc_subject": ({"From": ANNA, "To": "lieferant@supplier.example", "Bcc": SUBJECT.upper(),
                     "Subject": "Rechnung Kopie"}, [], EXPIRED, ANNA),
    "envelope_only": ({"From": "chef@kunde.example", "To": ANNA, "Subject": "Rundschreiben"},
                      [ANNA, SUBJECT], EXPIRED, ANNA),
    # Reply-To is not indexed apart: this mail is found by the address in its text (the signature).
    "reply_to": ({"From": "newsletter@shop.example", "To": ANNA, "Reply-To": SUBJECT, "Subject": "Antwort bitte",
                  "Body": f"Mit Gruessen\nKunde Person <{SUBJECT}>"}, [], EXPIRED, ANNA),
    "text_only": ({"From": "kollege@kunde.example", "To": ANNA, "Subject": "Rueckruf",
                   "Body": f"Bitte {SUBJECT} zurueckrufen."}, [], EXPIRED, ANNA),
    "lookalike": ({"From": LOOKALIKE, "To": ANNA, "Subject": "Andere Person",
                   "Body": f"Kontakt: {LOOKALIKE}"}, [], EXPIRED, ANNA),
    "unrelated": ({"From": "lieferant@supplier.example", "To": ANNA, "Subject": "Lieferschein"}, [], EXPIRED, ANNA),
    "bob_supplier": ({"From": "lieferant@supplier.example", "To": BOB, "Subject": "Lieferung Bob"},
                     [], EXPIRED, BOB),
}
CONCERNING = ["from_subject", "to_subject", "cc_subject", "bcc_subject", "envelope_only", "reply_to", "text_only"]


def mail(i: int, headers: dict[str, str]) -> bytes:
    msg = EmailMessage()
    for key, value in headers.items():
        if key != "Body":
            msg[key] = value
    msg["Date"] = format_datetime(datetime(2020, 3, 1, 10, 0, tzinfo=timezone.get_current_timezone()) + timedelta(days=i))
    msg["Message-ID"] = f"<subject{i}@kunde.example>"
    msg.set_content(headers.get("Body", f"Text {i} der Nachricht {headers['Subject']}"))
    return msg.as_bytes()


@dataclass
class World:
    customer: Customer
    foreign: Customer
    by_name: dict[str, Message]
    admin: User
    partner_admin: User
    partner_tech: User
    end_user: User
    auditor: User

    def id(self, name: str) -> str:
        return self.by_name[name].id

    def client(self, user: User) -> Client:
        return sign_in(Client(), user)

    def api(self, user: User) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {tokens.create(user, 't')[1]}"}

    def ingest(self, name: str, headers: dict[str, str], mailbox: str = ANNA, envelope_to: list[str] | None = None
               ) -> Message:
        raw = mail(len(self.by_name) + 50, headers)
        with Ingestor(self.customer, workers=1, batch_size=20).session() as ing:
            assert ing.ingest([Incoming(raw=raw, mailbox=mailbox, folders=["INBOX"], source="smtp" if envelope_to
                                        else "test", envelope_from="mta@kunde.example" if envelope_to else "",
                                        envelope_to=envelope_to or [])]).imported == 1
        self.by_name[name] = Message.objects.get(customer=self.customer, subject=headers["Subject"])
        return self.by_name[name]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db, tmp_path, settings) -> World:
    settings.KUSTOS = type(settings.KUSTOS)(**{**settings.KUSTOS.__dict__, "home": tmp_path / "home"})
    (tmp_path / "home").mkdir()
    runtime.reset()
    partner = factories.partner("Kanzlei Partner")
    customer = factories.customer(partner, "Betroffen GmbH")
    foreign = factories.customer(factories.partner("Fremd Partner"), "Fremd AG")
    items = []
    for i, (_name, (headers, envelope_to, _end, box)) in enumerate(MAILS.items()):
        items.append(Incoming(raw=mail(i, headers), mailbox=box, folders=["INBOX"],
                              source="smtp" if envelope_to else "test",
                              envelope_from="mta@kunde.example" if envelope_to else "", envelope_to=envelope_to))
    with Ingestor(customer, workers=1, batch_size=20).session() as ing:
        assert ing.ingest(items).imported == len(MAILS)
    by_name = {}
    for name, (headers, _env, end, _box) in MAILS.items():
        msg = Message.objects.get(customer=customer, subject=headers["Subject"])
        Message.objects.filter(id=msg.id).update(retention_end=end)
        msg.retention_end = end
        by_name[name] = msg
    admin = factories.user("it@betroffen.example", "customer_admin", customer=customer)
    partner_admin = factories.user("admin@kanzlei.example", "partner_admin", partner=partner, totp=True)
    partner_tech = factories.user("tech@kanzlei.example", "partner_tech", partner=partner, totp=True)
    end_user = factories.user(ANNA, "end_user", customer=customer, mailboxes=[ANNA])
    auditor = factories.user("pruefer@finanzamt.example", "auditor")
    users.grant(auditor, customer, expires_at=timezone.now() + timedelta(days=5))
    yield World(customer, foreign, by_name, admin, partner_admin, partner_tech, end_user, auditor)
    runtime.reset()
