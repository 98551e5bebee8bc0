"""A customer with two archived mails of an end user (one HTML with a script, a remote image and an
attachment; one plain) and one of another mailbox; a customer admin, a partner technician, the end user
and an auditor, each with an API token."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage

import pytest
from django.test import Client

from kustos.accounts.models import User
from kustos.accounts.services import tokens
from kustos.archive.models import Message
from kustos.archive.pipeline.contract import Incoming
from kustos.archive.services.ingest import Ingestor
from kustos.core import runtime
from kustos.tenants.models import Customer
from tests import factories
from tests.integration.web.session import sign_in

ANNA, BERND = "anna@kunde.example", "bernd@kunde.example"


def html_mail() -> bytes:
    msg = EmailMessage()
    msg["From"] = "Jörg Lieferant <joerg@lieferant.example>"
    msg["To"] = ANNA
    msg["Subject"] = "Quartalsrechnung Müller März"
    msg["Date"] = "Mon, 05 Feb 2024 09:30:00 +0000"
    msg["Message-ID"] = "<selfservice-1@lieferant.example>"
    msg.set_content("Hallo Anna,\n\nanbei die Quartalsrechnung Zitronenfalter.\n")
    msg.add_alternative('<p>Hallo Anna,</p><p>anbei die <b>Quartalsrechnung</b> Zitronenfalter.</p>'
                        '<script>document.title="pwned"</script><img src="https://tracker.example/p.gif">',
                        subtype="html")
    msg.add_attachment(b"%PDF-1.4 rechnung", maintype="application", subtype="pdf", filename="rechnung-417.pdf")
    return msg.as_bytes()


def plain_mail(i: int, owner: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"absender{i}@example.org"
    msg["To"] = owner
    msg["Subject"] = f"Notiz {i} Kolibri"
    msg["Date"] = "Tue, 06 Feb 2024 10:00:00 +0000"
    msg["Message-ID"] = f"<selfservice-plain-{i}@example.org>"
    msg.set_content(f"Kurze Notiz {i} Kolibri.\n")
    return msg.as_bytes()


@dataclass
class World:
    customer: Customer
    rechnung: Message
    notiz: Message
    other: Message
    users: dict[str, User]
    secrets: dict[str, str]

    def client(self, who: str, **headers: str) -> Client:
        return sign_in(Client(**headers), self.users[who])

    def api(self, who: str) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.secrets[who]}"}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db, tmp_path, settings) -> World:
    settings.KUSTOS = type(settings.KUSTOS)(**{**settings.KUSTOS.__dict__, "home": tmp_path / "home"})
    (tmp_path / "home").mkdir()
    runtime.reset()
    partner = factories.partner("Systemhaus Selbst")
    customer = factories.customer(partner, "Kunde Selbst")
    items = [Incoming(raw=html_mail(), mailbox=ANNA, folders=["INBOX"], source="test"),
             Incoming(raw=plain_mail(1, ANNA), mailbox=ANNA, folders=["INBOX"], source="test"),
             Incoming(raw=plain_mail(2, BERND), mailbox=BERND, folders=["INBOX"], source="test")]
    with Ingestor(customer, workers=1, batch_size=10).session() as ing:
        assert ing.ingest(items).imported == 3
    users = {
        "admin": factories.user("it@kunde.example", "customer_admin", customer=customer),
        "tech": factories.user("technik@systemhaus.example", "partner_tech", partner=partner),
        "end_user": factories.user(ANNA, "end_user", customer=customer),
    }
    secrets = {who: tokens.create(u, "t")[1] for who, u in users.items()}
    yield World(customer, Message.objects.get(subject="Quartalsrechnung Müller März"),
                Message.objects.get(subject="Notiz 1 Kolibri"), Message.objects.get(subject="Notiz 2 Kolibri"),
                users, secrets)
    runtime.reset()
