"""Fixtures for the archive dashboard tests: a customer with its own vault/index home and mail."""

from __future__ import annotations

from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

import pytest
from django.test import Client
from django.utils import timezone

from kustos.archive.pipeline.contract import Incoming
from kustos.archive.services.ingest import Ingestor
from kustos.core import runtime
from tests import factories
from tests.integration.web.session import sign_in

ALICE, BOB = "alice@kunde.example", "bob@kunde.example"

HOSTILE_HTML = ('<html><body><p>Quarterly <b>numbers</b> attached.</p>'
                '<script>alert("pwned")</script>'
                '<img src="https://tracker.example/pixel.gif" alt="track">'
                '<a href="https://example.org/info" onclick="steal()">info</a></body></html>')


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def archive_customer(db, tmp_path, settings):
    """A customer whose vault and index live in this test's tmp_path (as in tests/integration/archive)."""
    settings.KUSTOS = type(settings.KUSTOS)(**{**settings.KUSTOS.__dict__, "home": tmp_path / "home"})
    (tmp_path / "home").mkdir()
    runtime.reset()
    partner = factories.partner("Archiv Partner")
    customer = factories.customer(partner, "Archiv Kunde")
    yield customer
    runtime.reset()


def make_mail(i: int, sender: str, to: str, subject: str, body: str, when: datetime, *, html: str = "",
              attachment: bool = False) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = f"<web{i}@example.org>"
    msg.set_content(body)
    if html:
        msg.add_alternative(html, subtype="html")
    if attachment:
        msg.add_attachment(f"Rechnung Nummer {i}".encode(), maintype="text", subtype="plain",
                           filename=f"rechnung-{i}.txt")
    return msg.as_bytes()


@pytest.fixture
def filled(archive_customer):
    """12 mails for alice (INBOX, Projekte/2024), 12 for bob, one hostile HTML mail for alice."""
    customer = archive_customer
    base = datetime(2024, 3, 1, 12, 0, tzinfo=timezone.get_current_timezone())
    items = []
    for i in range(24):
        owner = ALICE if i % 2 == 0 else BOB
        folder = "Projekte/2024" if i % 4 == 0 else "INBOX"
        raw = make_mail(i, f"lieferant{i % 3}@supplier{i % 2}.example", owner, f"Angebot {i} Müller",
                        f"Text {i} quarterly report", base + timedelta(days=40 * i), attachment=i % 3 == 0)
        items.append(Incoming(raw=raw, mailbox=owner, folders=[folder], source="test"))
    hostile = make_mail(100, "phish@evil.example", ALICE, "Hostile newsletter", "numbers attached",
                        base, html=HOSTILE_HTML)
    items.append(Incoming(raw=hostile, mailbox=ALICE, folders=["INBOX"], source="test"))
    with Ingestor(customer, workers=1, batch_size=10).session() as ing:
        result = ing.ingest(items)
    assert result.imported == 25
    return customer


@pytest.fixture
def client_for():
    def make(user) -> Client:
        return sign_in(Client(), user)
    return make
