"""Health at a glance in a real browser: a real `kustos serve` process, Debian's Chromium driven by
Playwright. A partner admin sees a green, a yellow and a red customer with their reasons and the
usage charts on the home page; the operator opens the installation-health page; at 1280 px
nothing overflows horizontally, and no CSP violation is logged.

Seeding runs in a separate process against the server's home:
    KUSTOS_HOME=... python tests/e2e/test_health_browser.py --seed
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
KUSTOS = Path(sys.executable).with_name("kustos")
WIDTH = 1280
PASSWORD = "browser-health-pass-42"

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium")]


# --- seeding (its own process) ---------------------------------------------------------------------

def _seed() -> dict:
    import django  # noqa: PLC0415  (the seeding process only)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kustos.django_settings")
    django.setup()
    from datetime import timedelta  # noqa: PLC0415

    from django.core.management import call_command  # noqa: PLC0415
    from django.utils import timezone  # noqa: PLC0415

    from kustos.accounts.services import users  # noqa: PLC0415
    from kustos.archive.models import JournalEndpoint, Source  # noqa: PLC0415
    from kustos.billing.models import ServiceActivation, UsageSample  # noqa: PLC0415
    from kustos.monitoring import usage  # noqa: PLC0415
    from kustos.tenants.services import customers, partners  # noqa: PLC0415

    call_command("migrate", interactive=False, verbosity=0)
    now = timezone.now()
    partner = partners.create("Glance IT")
    users.create("admin@glance-it.example", "partner_admin", password=PASSWORD, partner=partner, actor="seed")
    users.create("op@glance-it.example", "operator", password=PASSWORD, actor="seed")
    green = customers.create(partner, "Grüne Wiese GmbH", actor="seed")
    Source.objects.create(customer=green, kind="imap", name="imap", last_success_at=now - timedelta(minutes=5),
                          last_run_at=now - timedelta(minutes=5), last_item_at=now - timedelta(minutes=30))
    yellow = customers.create(partner, "Gelbe Seiten KG", actor="seed")
    JournalEndpoint.objects.create(customer=yellow, local_part="gelbe-seiten")
    ServiceActivation.objects.create(partner=partner, customer_id=yellow.id, customer_name=yellow.name,
                                     service="archive", trial_started_at=now - timedelta(days=12),
                                     trial_ends_at=now + timedelta(days=2, hours=1), trial_then="paid")
    red = customers.create(partner, "Roter Faden AG", actor="seed")
    for name in ("imap", "pop3"):
        Source.objects.create(customer=red, kind=name, name=name, consecutive_failures=4, last_error="refused",
                              last_run_at=now - timedelta(minutes=2))
    today = usage.today()
    for i in range(30):
        for c, base in ((green, 2_000_000_000), (yellow, 500_000_000), (red, 9_000_000_000)):
            UsageSample.objects.create(partner=partner, customer_id=c.id, service="archive",
                                       day=today - timedelta(days=i), taken_at=now, stored_bytes=base - i * 10_000_000)
        UsageSample.objects.create(partner=partner, customer_id=green.id, service="backup",
                                   day=today - timedelta(days=i), taken_at=now, accounts=40 - i // 5)
    return {"partner_admin": "admin@glance-it.example", "operator": "op@glance-it.example", "password": PASSWORD,
            "green": green.id, "yellow": yellow.id, "red": red.id}


# --- the browser test ------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from tests.e2e.serving import kustos_serve  # noqa: PLC0415

    home = tmp_path_factory.mktemp("kustos-health-home")
    env = {**os.environ, "KUSTOS_HOME": str(home), "KUSTOS_REQUIRE_2FA_FOR_ADMINS": "0",
           "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)])}
    env.pop("KUSTOS_DATABASE_URL", None)
    env.pop("KUSTOS_REDIS_URL", None)
    seed = subprocess.run([sys.executable, str(Path(__file__)), "--seed"], env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert seed.returncode == 0, seed.stderr[-3000:]
    info = json.loads(seed.stdout.strip().splitlines()[-1])
    with kustos_serve(KUSTOS, env, home, _free_port()) as base:
        yield base, info


def _sign_in(browser, base: str, email: str, password: str):
    context = browser.new_context(viewport={"width": WIDTH, "height": 900}, locale="en-GB")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(base + "/login/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button.primary[type=submit]")
    page.wait_for_url(base + "/")
    return context, page, problems


def _no_overflow(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{page.url} is {width} px wide in a {WIDTH}-px window"


def test_partner_home_shows_states_reasons_and_charts(browser, server):
    base, info = server
    context, page, problems = _sign_in(browser, base, info["partner_admin"], info["password"])
    table = page.locator("[data-testid=customer-health]")
    assert table.is_visible()
    red = page.locator(f"[data-testid=health-{info['red']}-archive]")
    assert red.get_attribute("data-state") == "red" and "2 sources failing" in red.inner_text()
    yellow = page.locator(f"[data-testid=health-{info['yellow']}-archive]")
    assert yellow.get_attribute("data-state") == "yellow" and "trial ends in 2 days" in yellow.inner_text()
    green = page.locator(f"[data-testid=health-{info['green']}-archive]")
    assert green.get_attribute("data-state") == "green" and "ok" in green.inner_text()
    assert "last success" in green.inner_text() and "next run" in green.inner_text()
    rows = page.locator("[data-testid=customer-health] tbody tr")
    assert [rows.nth(i).get_attribute("data-state") for i in range(3)] == ["red", "yellow", "green"]
    for key in ("home-volume", "home-accounts"):
        chart = page.locator(f"[data-testid=chart-{key}] svg.chart-svg")
        assert chart.is_visible()
        box = chart.bounding_box()
        assert box is not None and 200 < box["width"] <= WIDTH and box["height"] > 50
    assert page.locator("[data-testid=chart-home-volume] rect.chart-bar").count() == 30
    _no_overflow(page)
    page.goto(base + "/customers/")
    cell = page.locator(f"[data-testid=list-health-{info['red']}-archive]")
    assert cell.get_attribute("data-state") == "red" and "Archive: 2 sources failing" in cell.inner_text()
    _no_overflow(page)
    page.goto(base + f"/customers/{info['green']}/")
    assert page.locator("[data-testid=chart-customer-accounts] rect.chart-bar").count() == 30
    _no_overflow(page)
    page.emulate_media(media="print")
    assert page.locator("[data-testid=chart-customer-volume] svg.chart-svg").is_visible()
    assert not page.locator(".sidebar").is_visible()
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
    context.close()


def test_operator_installation_health_page(browser, server):
    base, info = server
    context, page, problems = _sign_in(browser, base, info["operator"], info["password"])
    page.click("[data-testid=installation-health-link]")
    page.wait_for_url(base + "/health/")
    assert page.locator("h1").inner_text().strip() == "Installation health"
    for key in ("queue-depth", "pending-jobs", "failed-jobs", "workers-alive", "disk", "vault-usage"):
        assert page.locator(f"[data-testid={key}]").is_visible(), key
    assert "Grüne Wiese" not in page.content()
    _no_overflow(page)
    page.goto(base + "/")
    assert page.locator("[data-testid=customer-health] tbody tr").count() == 3  # the operator sees every customer
    _no_overflow(page)
    assert not problems, problems
    context.close()


if __name__ == "__main__" and "--seed" in sys.argv:
    print(json.dumps(_seed()))
