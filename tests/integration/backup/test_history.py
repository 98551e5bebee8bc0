"""Protected data over time: per day the last snapshot's totals per plan, summed; the dashboard draws
them as inline SVG bars (with axis labels and a table) on the overview and on the plan page."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from kustos.accounts.services import tokens
from kustos.archive.services import sources
from kustos.backup.models import BackupSnapshot
from kustos.backup.services import history, plans
from tests import factories
from tests.integration.web.session import sign_in

pytestmark = pytest.mark.django_db
MB = 1024 * 1024


def at(days_ago: int, hour: int) -> datetime:
    day = timezone.localdate() - timedelta(days=days_ago)
    return timezone.make_aware(datetime.combine(day, time(hour)), timezone.get_current_timezone())


def snap(plan, days_ago: int, hour: int, items: int, size: int) -> None:
    BackupSnapshot.objects.create(id=f"s{plan.id}-{days_ago}-{hour}", plan=plan, time=at(days_ago, hour),
                                  items=items, bytes=size)


@pytest.fixture
def two_plans(source, cloud):
    first = plans.enable(source)
    other = plans.enable(sources.add(source.customer, "toybackup", {"cloud": "t"}, "secret-token", actor="test"))
    snap(first, 40, 9, 5, 500)  # before the 30-day window: carried into it only when the window reaches it
    snap(first, 10, 8, 10, 1000)
    snap(first, 10, 20, 12, 2000)  # the day's last snapshot counts
    snap(first, 3, 9, 20, 5 * MB)
    snap(other, 3, 10, 1, 1 * MB)
    return first, other


def test_per_day_the_last_snapshot_of_each_plan_summed(two_plans):
    first, other = two_plans
    days = history.protected(first.customer, 30)
    assert len(days) == 30 and days[-1]["day"] == timezone.localdate()
    by_age = {(timezone.localdate() - d["day"]).days: (d["items"], d["bytes"], d["snapshots"]) for d in days}
    assert by_age[29] == (5, 500, 0)  # carried over from 40 days ago
    assert by_age[10] == (12, 2000, 2)
    assert by_age[4] == (12, 2000, 0)
    assert by_age[3] == (21, 6 * MB, 2)
    assert by_age[0] == (21, 6 * MB, 0)
    only = history.protected(first.customer, 30, plan=other)
    assert [d["bytes"] for d in only].count(MB) == 4 and sum(d["bytes"] for d in only) == 4 * MB


def bytes_chart(html: str) -> str:
    return re.search(r'data-testid="chart-bytes">(.*?)</figure>', html, re.S).group(1).replace("\xa0", " ")


def test_the_overview_draws_the_chart_with_labels_and_a_table(two_plans):
    first, other = two_plans
    BackupSnapshot.objects.filter(time__lt=at(30, 0)).delete()  # nothing before the window: 11 days with data
    admin = sign_in(Client(), factories.user("admin@kunde.example", "customer_admin", customer=first.customer))
    base = f"/customers/{first.customer_id}"
    html = admin.get(f"{base}/backup/").content.decode()
    chart = bytes_chart(html)
    assert chart.count('<rect class="chart-bar"') == 11
    assert "maximum 6.0 MB" in chart and ">6.0 MB</text>" in chart and ">3.0 MB</text>" in chart
    assert "style=" not in chart  # the CSP allows no style attributes
    assert 'role="img"' in chart and "<title" in chart and not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert chart.count("<tr><td>") == 11  # the table for screen readers
    items = re.search(r'data-testid="chart-items">(.*?)</figure>', html, re.S).group(1)
    assert ">21</text>" in items and items.count('<rect class="chart-bar"') == 11
    # y labels 0, 10, 21, each at the height of its value (plot from y=10 to y=174)
    ticks = re.findall(r'<text class="chart-label" x="70" y="([\d.]+)"[^>]*>([\d,]+)</text>', items)
    assert ticks == [("174", "0"), ("95.9", "10"), ("10", "21")]
    # the tallest bar reaches the top of the plot, the bar 10 days ago a third of a per-mille of it
    heights = [float(h) for h in re.findall(r'<rect class="chart-bar"[^>]* height="([\d.]+)"', chart)]
    assert max(heights) == 164 and min(heights) < 0.1

    plan_page = admin.get(f"{base}/sources/{other.source_id}/backup/").content.decode()
    chart = bytes_chart(plan_page)
    assert chart.count('<rect class="chart-bar"') == 4 and "maximum 1.0 MB" in chart

    chart = bytes_chart(admin.get(f"{base}/backup/", {"days": "90"}).content.decode())
    assert chart.count('<rect class="chart-bar"') == 11  # nothing older was left
    assert 'aria-current="true" data-testid="chart-range-90"' in admin.get(f"{base}/backup/?days=90").content.decode()

    admin.post("/account/language/", {"language": "de"})
    html = admin.get(f"{base}/backup/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Geschützte Daten im Zeitverlauf" in html and ">6,0 MB</text>" in bytes_chart(html)
    assert "Als Tabelle anzeigen" in html and "30 Tage" in html


def test_ranges_and_an_empty_period(two_plans):
    first, _ = two_plans
    admin = sign_in(Client(), factories.user("admin@kunde.example", "customer_admin", customer=first.customer))
    base = f"/customers/{first.customer_id}"
    chart = bytes_chart(admin.get(f"{base}/backup/", {"days": "90"}).content.decode())
    assert chart.count('<rect class="chart-bar"') == 41  # 40 days ago up to today
    chart = bytes_chart(admin.get(f"{base}/backup/", {"days": "7"}).content.decode())  # not offered: 30
    assert chart.count('<rect class="chart-bar"') == 30
    BackupSnapshot.objects.all().delete()
    page = admin.get(f"{base}/backup/").content.decode()
    assert "No snapshots in this period." in page and "<svg" not in bytes_chart(page)


def test_history_in_the_api(two_plans):
    first, other = two_plans
    _, token = tokens.create(factories.user("pt@partner.example", "partner_tech", partner=first.customer.partner,
                                            totp=True), "t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    url = f"/api/v1/customers/{first.customer_id}/backup/history"
    rows = Client().get(url, **auth).json()
    assert len(rows) == 30 and rows[-1] == {"day": timezone.localdate().isoformat(), "items": 21, "bytes": 6 * MB,
                                            "snapshots": 0}
    rows = Client().get(url, {"days": 90, "plan": other.id}, **auth).json()
    assert len(rows) == 90 and rows[-1]["bytes"] == MB
    resp = Client().get(url, {"days": 7}, **auth)
    assert resp.status_code == 422 and resp.json()["detail"] == "days must be one of 30, 90, 365"
    assert Client().get(url, {"plan": "bp_nope"}, **auth).status_code == 404
