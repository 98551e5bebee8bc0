"""Ingest generated mail for two mailboxes, then search, read and export through services, API and CLI."""

from __future__ import annotations

import hashlib
import io
import mailbox
import zipfile
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from kustos.accounts.services import tokens, users
from kustos.archive.models import Message
from kustos.archive.pipeline.contract import Incoming
from kustos.archive.services import export, messages
from kustos.archive.services import search as search_service
from kustos.archive.services.ingest import Ingestor
from kustos.audit.models import AuditEvent
from tests import factories

pytestmark = pytest.mark.django_db


def make_mail(i: int, sender: str, to: str, subject: str, body: str, when: datetime) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = f"<m{i}@example.org>"
    msg.set_content(body)
    if i % 3 == 0:
        msg.add_attachment(f"Rechnung Nummer {i} Betrag 100 EUR".encode(), maintype="text", subtype="plain",
                           filename=f"rechnung-{i}.txt")
    return msg.as_bytes()


@pytest.fixture
def filled(archive_customer):
    base = datetime(2024, 3, 1, 12, 0, tzinfo=timezone.get_current_timezone())
    alice, bob = "alice@kunde.example", "bob@kunde.example"
    items = []
    for i in range(30):
        owner = alice if i % 2 == 0 else bob
        raw = make_mail(i, "lieferant@supplier.example", owner, f"Angebot {i} Müller", f"Text {i} quarterly report",
                        base + timedelta(days=i))
        items.append(Incoming(raw=raw, mailbox=owner, folders=["INBOX"], source="test"))
    shared = make_mail(99, "ceo@kunde.example", f"{alice}, {bob}", "Company update", "all hands", base)
    items.append(Incoming(raw=shared, mailbox=alice, folders=["INBOX"], source="test"))
    items.append(Incoming(raw=shared, mailbox=bob, folders=["INBOX", "Archive/2024"], source="test"))
    with Ingestor(archive_customer, workers=1, batch_size=8).session() as ing:
        result = ing.ingest(items)
    assert (result.imported, result.duplicates) == (31, 1)
    return archive_customer, alice, bob


def test_dedup_keeps_every_reference(filled):
    customer, alice, bob = filled
    msg = Message.objects.get(customer=customer, subject="Company update")
    refs = sorted((r.mailbox.address, r.folder.path) for r in msg.refs.select_related("mailbox", "folder"))
    assert refs == [(alice, "INBOX"), (bob, "Archive/2024"), (bob, "INBOX")]
    hits = search_service.run(customer, '"company update"', search_service.Scope([bob]))
    assert [h.id for h in hits.hits] == [msg.id]


def test_end_user_sees_only_own_mailbox(filled):
    customer, alice, bob = filled
    user = factories.user(alice, "end_user", customer=customer)
    result = search_service.search_as(user, customer.id, "angebot")
    assert result.total == 15
    rows = search_service.hit_rows(result, search_service.scope_for(user, customer))
    assert {r["mailbox"] for r in rows} == {alice}
    admin = factories.user("admin@kunde.example", "customer_admin", customer=customer)
    assert search_service.search_as(admin, customer.id, "angebot").total == 30
    assert search_service.search_as(admin, customer.id, "has:attachment rechnung").total == 11  # i % 3 == 0 for 0..29 and 99
    assert AuditEvent.objects.filter(action="archive.search", actor=alice).count() == 1


def test_auditor_window_and_foreign_customer(filled):
    customer, alice, _ = filled
    auditor = factories.user("pruefer@finanzamt.example", "auditor", customer=customer)
    users.grant(auditor, customer, expires_at=timezone.now() + timedelta(days=5),
                date_from=date(2024, 3, 1), date_to=date(2024, 3, 10), tax_relevant_only=False)
    result = search_service.search_as(auditor, customer.id, "angebot")
    assert result.total == 10  # 1..10 March
    other = factories.customer(factories.partner("Foreign"), "Foreign Customer")
    with pytest.raises(Exception) as exc:
        search_service.search_as(auditor, other.id, "*")
    assert "no such customer" in str(exc.value)


def test_raw_bytes_api_and_export(filled, tmp_path: Path):
    customer, alice, _ = filled
    admin = factories.user("it@kunde.example", "customer_admin", customer=customer)
    _, secret = tokens.create(admin, "t")
    client = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    resp = client.get(f"/api/v1/customers/{customer.id}/archive/search?q=from:lieferant%20date:2024-03-01..2024-03-05",
                      **auth)
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["total"] == 5
    mid = body["hits"][0]["id"]
    raw = client.get(f"/api/v1/messages/{mid}/raw", **auth)
    assert raw.status_code == 200
    assert hashlib.sha256(raw.content).hexdigest() == Message.objects.get(id=mid).sha256
    bad = client.get(f"/api/v1/customers/{customer.id}/archive/search?q=(unclosed", **auth)
    assert bad.status_code == 400 and bad["Content-Type"] == "application/problem+json"

    selected = list(Message.objects.filter(customer=customer).order_by("seq"))
    z = export.write(selected, "eml-zip", tmp_path / "x.zip")
    with zipfile.ZipFile(z["path"]) as zf:
        names = zf.namelist()
        assert len(names) == 31
        assert hashlib.sha256(zf.read(names[0])).hexdigest() == selected[0].sha256
    again = export.write(selected, "eml-zip", tmp_path / "y.zip")
    assert again["sha256"] == z["sha256"]  # deterministic
    m = export.write(selected, "mbox", tmp_path / "x.mbox")
    box = mailbox.mbox(m["path"])
    assert len(box) == 31
    assert messages.raw(selected[0]).replace(b"\r\n", b"\n").startswith(io.BytesIO(box.get_bytes(0)).read()[:40])
