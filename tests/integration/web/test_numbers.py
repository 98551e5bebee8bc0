"""Every number and status on the partner and customer pages against an independent count
(raw SQL over the tables, the vault's own statistics), so an aggregate over a join, a
failed run counted as activity or a wrongly cut label cannot pass."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest
from django.db import connection
from django.template.defaultfilters import filesizeformat
from django.test import Client
from django.utils import timezone
from django.utils.formats import date_format

from kustos.accounts.models import AuditorGrant
from kustos.accounts.services import tokens
from kustos.archive.models import Message
from kustos.archive.pipeline.contract import Incoming
from kustos.archive.services import sources as source_service
from kustos.archive.services.ingest import Ingestor
from kustos.core import runtime
from kustos.sources.base import ConnectorError
from kustos.web.templatetags.kustos_ui import folder_tail
from tests import factories
from tests.integration.web.session import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def home(tmp_path, settings):
    settings.KUSTOS = type(settings.KUSTOS)(**{**settings.KUSTOS.__dict__, "home": tmp_path / "home"})
    (tmp_path / "home").mkdir()
    runtime.reset()
    yield tmp_path / "home"
    runtime.reset()


def _mail(i: int, folder_hint: str = "") -> bytes:
    msg = EmailMessage()
    msg["From"] = "a@supplier.example"
    msg["To"] = "box@kunde.example"
    msg["Subject"] = f"Numbers {i} {folder_hint}"
    msg["Message-ID"] = f"<numbers{i}{folder_hint}@example.org>"
    msg["Date"] = "Mon, 04 Mar 2024 12:00:00 +0100"
    msg.set_content(f"Body {i} " + "x" * (200 * i))
    return msg.as_bytes()


def _ingest(customer, n: int, folder: str = "INBOX") -> None:
    with Ingestor(customer, workers=1).session() as ingestor:
        ingestor.ingest([Incoming(raw=_mail(i, customer.id), mailbox="box@kunde.example", folders=[folder],
                                  source="test") for i in range(n)])


def _row(html: str, marker: str) -> str:
    rows = [r for r in re.findall(r"<tr>.*?</tr>", html, re.S) if marker in r]
    assert len(rows) == 1, f"{marker} not in exactly one row"
    return rows[0]


def _nums(row: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r'<td class="num">(.*?)</td>', row, re.S)]


def _activity(row: str) -> str:
    return re.search(r'<td class="hide-narrow nowrap">(.*?)</td>', row, re.S).group(1).strip()


def _sql(query: str, *params) -> int:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchone()[0]


def test_partner_page_numbers_match_independent_counts(home):
    operator = factories.user("ops@install.example", "operator", totp=True)
    big = factories.partner("Numbers Partner")
    other = factories.partner("Empty Partner")
    first, second = factories.customer(big, "Kunde Eins"), factories.customer(big, "Kunde Zwei")
    _ingest(first, 4)
    _ingest(second, 2)
    for i in range(3):  # several partner users: a join with users multiplied the storage sum
        factories.user(f"staff{i}@numbers.example", "partner_tech", partner=big)
    factories.user("it@kunde-eins.example", "customer_admin", customer=first)

    html = sign_in(Client(), operator).get("/partners/").content.decode()
    vault_bytes = sum(int(runtime.vault().stats(c.id)["stored_bytes"]) for c in (first, second))
    assert vault_bytes > 0
    customers_sql = _sql("SELECT COUNT(*) FROM tenants_customer WHERE partner_id = %s", big.id)
    users_sql = _sql("SELECT COUNT(*) FROM accounts_user WHERE partner_id = %s", big.id)
    assert (customers_sql, users_sql) == (2, 3)
    assert _nums(_row(html, big.id)) == [str(customers_sql), str(users_sql), filesizeformat(vault_bytes)]
    assert _nums(_row(html, other.id)) == ["0", "0", filesizeformat(0)]


def test_customer_list_shows_failing_and_paused_sources_and_last_archived(home):
    partner = factories.partner("Status Partner")
    admin = factories.user("admin@status.example", "partner_admin", partner=partner, totp=True)
    failing, paused, healthy = (factories.customer(partner, n) for n in ("Failing GmbH", "Paused AG", "Healthy KG"))
    _ingest(failing, 2)
    archived = datetime(2024, 5, 6, 7, 8, tzinfo=UTC)
    Message.objects.filter(customer=failing).update(archived_at=archived)
    # a real failed run of an IMAP source (nothing listens on port 9)
    source = source_service.add(failing, "imap", {"host": "127.0.0.1", "port": 9, "security": "none",
                                                  "username": "x"}, "pw")
    with pytest.raises((ConnectorError, OSError)):
        source_service.run(source)
    stopped = source_service.add(paused, "imap", {"host": "127.0.0.1", "port": 9, "username": "y"}, "pw")
    source_service.update(stopped, paused=True)
    failing.refresh_from_db()
    last_sql = Message.objects.filter(customer=failing).order_by("-archived_at")[0].archived_at
    assert last_sql == archived and failing.last_activity_at == archived  # the failed run is no activity

    client = sign_in(Client(), admin)
    html = client.get("/customers/").content.decode()
    row = _row(html, failing.id)
    assert 'data-status="failing"' in row and "Source failing" in row and "badge danger" in row
    assert _activity(row) == date_format(timezone.localtime(last_sql), "SHORT_DATETIME_FORMAT")
    assert 'data-status="paused"' in _row(html, paused.id) and "Source paused" in _row(html, paused.id)
    assert 'data-status="active"' in _row(html, healthy.id) and "none yet" in _row(html, healthy.id)
    # sorting by last activity puts the one customer with archived mail first
    html = client.get("/customers/?sort=-activity").content.decode()
    assert html.index(failing.id) < html.index(healthy.id)
    detail = client.get(f"/customers/{failing.id}/").content.decode()
    assert "Source failing" in detail
    de = Client()
    sign_in(de, admin).cookies["django_language"] = "de"
    assert "Quelle fehlerhaft" in de.get("/customers/").content.decode()


def test_last_activity_is_the_last_archived_message_not_a_failed_run(home):
    partner = factories.partner("Activity Partner")
    admin = factories.user("admin@activity.example", "partner_admin", partner=partner, totp=True)
    customer = factories.customer(partner, "Activity GmbH")
    _ingest(customer, 1)
    Message.objects.filter(customer=customer).update(archived_at=datetime(2023, 1, 2, 3, 4, tzinfo=UTC))
    source = source_service.add(customer, "imap", {"host": "127.0.0.1", "port": 9, "security": "none",
                                                   "username": "x"}, "pw")
    with pytest.raises((ConnectorError, OSError)):
        source_service.run(source)  # the failed run touches the usage columns
    html = sign_in(Client(), admin).get("/customers/").content.decode()
    shown = _activity(_row(html, customer.id))
    assert shown == date_format(timezone.localtime(datetime(2023, 1, 2, 3, 4, tzinfo=UTC)), "SHORT_DATETIME_FORMAT")
    _, secret = tokens.create(admin, "numbers")
    api = Client().get(f"/api/v1/customers/{customer.id}", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.status_code == 200 and api.json()["last_activity_at"].startswith("2023-01-02T03:04")


def test_folder_labels_keep_the_last_segments_with_full_path_as_title(home):
    partner = factories.partner("Folder Partner")
    customer = factories.customer(partner, "Folder GmbH")
    admin = factories.user("admin@folder.example", "customer_admin", customer=customer, totp=True)
    long_path = "INBOX/Clients/Acme Corporation International/Projects/2024/Invoices"
    _ingest(customer, 1, folder=long_path)
    html = sign_in(Client(), admin).get("/archive/search/", {"customer": customer.id, "q": ""}).content.decode()
    cell = re.search(r'<span class="archive-folder" title="([^"]*)">([^<]*)</span>', html)
    assert cell is not None, html[:2000]
    assert cell.group(1) == f"box@kunde.example/{long_path}"
    assert cell.group(2) == "…/Projects/2024/Invoices"
    facet = re.search(r'data-testid="facet-folder".*?title="([^"]*)"><span>([^<]*)</span>', html, re.S)
    assert facet is not None and facet.group(1).endswith(long_path) and facet.group(2).endswith("/2024/Invoices")
    assert folder_tail("INBOX") == "INBOX"
    assert folder_tail("a/" + "b" * 60).startswith("…") and folder_tail("a/" + "b" * 60).endswith("b")


def test_auditor_header_names_granted_customers_and_partner(home):
    partner = factories.partner("Audit Partner")
    customer = factories.customer(partner, "Geprüfte GmbH")
    factories.customer(partner, "Not Granted KG")
    auditor = factories.user("pruefer@finanzamt.example", "auditor")
    AuditorGrant.objects.create(user=auditor, customer=customer, expires_at=timezone.now() + timezone.timedelta(days=7))
    html = sign_in(Client(), auditor).get("/").content.decode()
    crumbs = re.search(r'<div class="crumbs">(.*?)</div>', html, re.S).group(1)
    assert "Installation" not in crumbs
    assert "Geprüfte GmbH" in crumbs and "Audit Partner" in crumbs and "Not Granted" not in crumbs
    scope = re.search(r'data-testid="user-scope">(.*?)</div>', html, re.S).group(1)
    assert "Geprüfte GmbH (Audit Partner)" in scope
