"""The partner home shows each customer's state with its reasons and the usage charts; its number
of SQL queries does not grow with the number of customers; the customer page charts its usage; the
operator's installation-health page."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kustos.billing.models import UsageSample
from kustos.jobs.models import Job
from kustos.monitoring import usage
from kustos.tenants.models import Customer, StorageLocation
from tests import factories
from tests.integration.health.conftest import alert, journal, plan, source, trial

pytestmark = pytest.mark.django_db


def _sample(customer: Customer, day: date, stored: int = 0, accounts: int = 0) -> None:
    service = "archive" if stored else "backup"
    UsageSample.objects.create(partner_id=customer.partner_id, customer_id=customer.id, service=service, day=day,
                               taken_at=timezone.now(), stored_bytes=stored, accounts=accounts)


def _populate(partner, n: int, start: int = 0) -> None:
    """n customers with every kind of state the health view reads."""
    location = StorageLocation.objects.first() or factories.customer(partner, "Erster Kunde").location
    now = timezone.now()
    for i in range(start, start + n):
        c = Customer.objects.create(partner=partner, name=f"Kunde {i:03d}", location=location, backup_enabled=True)
        source(c, failures=i % 4, last_success=now - timedelta(hours=1), last_run=now - timedelta(minutes=5),
               last_item=now - timedelta(hours=1))
        journal(c, last_delivery=now - timedelta(days=i % 5))
        p = plan(c, last_success=now - timedelta(days=i % 5))
        alert(p, ("warning", "high")[i % 2])
        trial(c, "backup", now + timedelta(days=i % 4))
        _sample(c, usage.today(), stored=1000 * (i + 1))
        _sample(c, usage.today(), accounts=i + 1)


def _home_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/").status_code == 200
    return len(ctx.captured_queries)


def test_home_queries_do_not_grow_with_the_number_of_customers():
    partner = factories.partner("Many Partner")
    admin = factories.user("admin@many.example", "partner_admin", partner=partner)
    client = Client()
    client.force_login(admin)
    _populate(partner, 5)
    five = _home_queries(client)
    _populate(partner, 45, start=5)
    fifty = _home_queries(client)
    assert fifty == five, f"{five} queries for 5 customers, {fifty} for 50"
    page = client.get("/").content.decode()
    assert page.count('data-testid="health-cu') == 51 * 3  # a row and two service cells per customer (+ the first)


def test_home_shows_states_reasons_and_summed_usage_chart():
    partner = factories.partner("Glance Partner")
    admin = factories.user("admin@glance.example", "partner_admin", partner=partner)
    now = timezone.now()
    green = factories.customer(partner, "Gruen GmbH")
    journal(green, last_delivery=now - timedelta(minutes=30))
    red = factories.customer(partner, "Rot GmbH")
    source(red, "imap", failures=3, last_run=now - timedelta(minutes=1))
    source(red, "pop", failures=4, last_run=now - timedelta(minutes=1))
    yellow = factories.customer(partner, "Gelb GmbH")
    journal(yellow, last_delivery=now - timedelta(minutes=30))
    trial(yellow, "archive", now + timedelta(days=2, hours=1))
    other = factories.customer(factories.partner("Other Partner"), "Fremd GmbH")
    for c, stored in ((green, 3_000_000_000), (red, 2_000_000_000), (other, 7_000_000_000)):
        _sample(c, usage.today(), stored=stored)
    _sample(green, usage.today() - timedelta(days=1), accounts=40)
    client = Client()
    client.force_login(admin)
    html = client.get("/").content.decode()
    assert f'data-testid="health-{red.id}-archive" data-state="red"' in html
    assert "2 sources failing" in html
    assert f'data-testid="health-{yellow.id}-archive" data-state="yellow"' in html and "trial ends in 2 days" in html
    assert f'data-testid="health-{green.id}-archive" data-state="green"' in html
    assert html.index("Rot GmbH") < html.index("Gelb GmbH") < html.index("Gruen GmbH")  # worst first
    assert "Fremd GmbH" not in html
    # the partner's chart sums its own customers only: 5 GB, not 12 GB
    assert 'data-testid="chart-home-volume"' in html and "maximum 4.7\xa0GB" in html
    assert 'data-testid="chart-home-accounts"' in html and "maximum 40" in html
    assert "<table" in html and "Show as table" in html
    assert "style=" not in html.split('data-testid="usage-home"')[1].split("</section>")[0]


def test_customer_page_charts_its_own_usage():
    partner = factories.partner("Chart Partner")
    admin = factories.user("admin@chart.example", "partner_admin", partner=partner)
    c = factories.customer(partner, "Chart GmbH")
    sibling = factories.customer(partner, "Sibling GmbH")
    _sample(c, usage.today() - timedelta(days=3), stored=1_000_000)
    _sample(c, usage.today(), stored=2_500_000)
    _sample(sibling, usage.today(), stored=9_000_000)
    client = Client()
    client.force_login(admin)
    html = client.get(f"/customers/{c.id}/").content.decode()
    assert 'data-testid="chart-customer-volume"' in html and "maximum 2.4\xa0MB" in html
    assert html.count('class="chart-bar"') == 2  # two sampled days, no accounts


def test_installation_health_page_for_the_operator_only():
    operator = factories.user("op@health.example", "operator")
    partner = factories.partner("Ops Partner")
    pa = factories.user("admin@ops.example", "partner_admin", partner=partner)
    Job.objects.create(kind="archive.import", state=Job.State.FAILED, finished_at=timezone.now(),
                       error="ValueError: broken mbox\nTraceback ...", customer_name="Kunde X")
    Job.objects.create(kind="archive.import", state=Job.State.RUNNING, worker="host-a:77/w1",
                       heartbeat_at=timezone.now())
    client = Client()
    client.force_login(operator)
    home = client.get("/").content.decode()
    assert 'href="/health/"' in home
    resp = client.get("/health/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "Installation health" in html and "ValueError: broken mbox" in html and "Traceback" not in html
    assert 'data-testid="workers-alive"' in html and 'data-testid="vault-usage"' in html
    client.force_login(pa)
    assert client.get("/health/").status_code == 403
    assert 'href="/health/"' not in client.get("/").content.decode()


def test_customer_list_shows_each_customers_state_in_fixed_queries():
    partner = factories.partner("List Partner")
    admin = factories.user("admin@list.example", "partner_admin", partner=partner)
    now = timezone.now()
    red = factories.customer(partner, "Liste Rot")
    source(red, "imap", failures=3, last_run=now - timedelta(minutes=1))
    source(red, "pop", failures=3, last_run=now - timedelta(minutes=1))
    client = Client()
    client.force_login(admin)
    html = client.get("/customers/").content.decode()
    assert f'data-testid="list-health-{red.id}-archive" data-state="red"' in html
    assert "Archive: 2 sources failing" in html
    _populate(partner, 2)
    with CaptureQueriesContext(connection) as few:
        client.get("/customers/")
    _populate(partner, 20, start=2)  # 23 customers: still one page of the list
    with CaptureQueriesContext(connection) as many:
        assert client.get("/customers/").status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)
