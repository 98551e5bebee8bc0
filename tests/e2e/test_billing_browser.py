"""The Billing page in a real browser: a real `kustos serve` process on the synthetic billing year
(tests/integration/billing/statement_world.py), Debian's Chromium driven by Playwright. A partner
admin previews a month (its own partner's rows, the totals), downloads the CSV through the button
(the bytes equal the independent computation), and reads the page in German; the operator picks a
partner. At 1280 px nothing overflows horizontally and no console error or CSP violation is logged.

Seeding runs in a separate process against the server's home:
    KUSTOS_HOME=... python tests/e2e/test_billing_browser.py --seed
"""

from __future__ import annotations

import csv
import io
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
PASSWORD = "browser-billing-pass-42"

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium")]


# --- seeding (its own process) ---------------------------------------------------------------------

def _seed() -> dict:
    import django  # noqa: PLC0415  (the seeding process only)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kustos.django_settings")
    django.setup()
    from django.core.management import call_command  # noqa: PLC0415

    from kustos.accounts.services import users  # noqa: PLC0415
    from tests.integration.billing import statement_world  # noqa: PLC0415

    call_command("migrate", interactive=False, verbosity=0)
    world = statement_world.World()
    users.create("admin@alpha.example", "partner_admin", password=PASSWORD, partner=world.partners["alpha"],
                 actor="seed")
    users.create("op@billing.example", "operator", password=PASSWORD, actor="seed")
    expected = {scope or "all": [statement_world.HEADER, *statement_world.expected_rows(statement_world.YEAR, 9, scope)]
                for scope in (None, "alpha", "beta")}
    return {"partner_admin": "admin@alpha.example", "operator": "op@billing.example", "password": PASSWORD,
            "beta": world.partners["beta"].id, "month": f"{statement_world.YEAR}-09", "expected": expected}


# --- the browser test ------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from tests.e2e.serving import kustos_serve  # noqa: PLC0415

    home = tmp_path_factory.mktemp("kustos-billing-home")
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
    context = browser.new_context(viewport={"width": WIDTH, "height": 900}, locale="en-GB", accept_downloads=True)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.goto(base + "/login/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button.primary[type=submit]")
    page.wait_for_url(base + "/")
    return context, page, problems


def _no_overflow(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{page.url} is {width} px wide in a {WIDTH}-px window"


def _cents(rows: list[list[str]]) -> str:
    cents = sum(int(r[7].replace(".", "")) for r in rows[1:])
    return f"{cents // 100}.{cents % 100:02d}"


def test_partner_admin_previews_downloads_and_reads_german(browser, server):
    base, info = server
    context, page, problems = _sign_in(browser, base, info["partner_admin"], info["password"])
    page.click("nav >> text=Billing")
    page.wait_for_url(base + "/billing/")
    page.fill("#id_month", info["month"])
    page.click("form.inline-form button[type=submit]")
    page.wait_for_load_state("load")
    expected = info["expected"]["alpha"]
    assert page.locator("[data-testid=billing-table] tbody tr").count() == len(expected) - 1
    assert page.locator("[data-testid=billing-total]").inner_text().strip() == _cents(expected)
    assert page.locator("[data-testid=billing-data-note]").is_visible()
    assert page.locator("#id_partner").count() == 0  # a partner admin has no partner picker
    _no_overflow(page)
    with page.expect_download() as dl:
        page.click("[data-testid=billing-download]")
    data = Path(dl.value.path()).read_bytes()
    assert list(csv.reader(io.StringIO(data.decode("utf-8")))) == expected
    assert dl.value.suggested_filename.endswith(".csv")
    page.goto(base + "/account/")
    page.click("form.lang button[value=de]")
    page.wait_for_load_state("load")
    page.goto(base + f"/billing/?month={info['month']}")
    assert page.locator("h1").inner_text().strip() == "Abrechnung"
    assert "ausschließlich zur Zuordnung der Abrechnung" in page.locator("[data-testid=billing-data-note]").inner_text()
    _no_overflow(page)
    assert not problems, problems
    context.close()


def test_operator_picks_a_partner(browser, server):
    base, info = server
    context, page, problems = _sign_in(browser, base, info["operator"], info["password"])
    page.goto(base + f"/billing/?month={info['month']}")
    assert page.locator("[data-testid=billing-table] tbody tr").count() == len(info["expected"]["all"]) - 1
    page.select_option("#id_partner", info["beta"])
    page.click("form.inline-form button[type=submit]")
    page.wait_for_load_state("load")
    expected = info["expected"]["beta"]
    assert page.locator("[data-testid=billing-table] tbody tr").count() == len(expected) - 1
    assert page.locator("[data-testid=billing-total]").inner_text().strip() == _cents(expected)
    _no_overflow(page)
    assert not problems, problems
    context.close()


if __name__ == "__main__" and "--seed" in sys.argv:
    print(json.dumps(_seed()))
