"""The dashboard in a real browser: a real `kustos serve` process, Debian's Chromium driven by
Playwright. A partner admin signs in with password + TOTP, creates a customer through the
form, finds it in the customer table (htmx search), and switches the UI to German."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from binascii import unhexlify
from pathlib import Path

import pytest
from django_otp.oath import totp

from tests.e2e.artifacts import ARTIFACTS
from tests.e2e.serving import kustos_serve

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
KUSTOS = Path(sys.executable).with_name("kustos")

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A seeded KUSTOS_HOME and `kustos serve` on a free port; yields (base_url, seed info)."""
    home = tmp_path_factory.mktemp("kustos-browser-home")
    env = {**os.environ, "KUSTOS_HOME": str(home), "KUSTOS_REQUIRE_2FA_FOR_ADMINS": "1",
           "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)])}
    # The browser test runs the embedded default (SQLite, huey on SQLite) in its own home.
    env.pop("KUSTOS_DATABASE_URL", None)
    env.pop("KUSTOS_REDIS_URL", None)
    seed = subprocess.run([sys.executable, str(REPO / "tests/e2e/seed_home.py"), "--demo"], env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    info = json.loads(seed.stdout.strip().splitlines()[-1])
    port = _free_port()
    with kustos_serve(KUSTOS, env, home, port) as base:
        yield base, info




def _code(info: dict) -> str:
    # A TOTP code is accepted once per 30 s step; wait for a fresh step if this one may be used up.
    if time.time() % 30 > 27:
        time.sleep(30 - time.time() % 30 + 0.5)
    return f"{totp(unhexlify(info['totp_key_hex']), step=info['step'], digits=info['digits']):0{info['digits']}d}"


def test_partner_creates_customer_and_switches_to_german(server, browser):
    from playwright.sync_api import expect  # noqa: PLC0415

    base, info = server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-GB")
    page = context.new_page()
    csp_errors: list[str] = []
    page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)

    page.goto(base + "/customers/")
    assert page.url.startswith(base + "/login/")
    page.fill("input[name=email]", info["email"])
    page.fill("input[name=password]", info["password"])
    page.click("button.primary[type=submit]")
    page.wait_for_url("**/login/otp/**")
    page.fill("input[name=token]", _code(info))
    page.click("button.primary[type=submit]")
    page.wait_for_url(base + "/customers/")
    page.screenshot(path=str(ARTIFACTS / "01-customers.png"), full_page=True)

    page.click("[data-testid=new-customer]")
    page.wait_for_url(base + "/customers/new/")
    page.fill("input[name=name]", "Zahnarztpraxis Weiß")
    page.fill("input[name=legal_name]", "Dr. Weiß Zahnmedizin MVZ GmbH")
    page.check("input[name=backup_enabled]")
    page.screenshot(path=str(ARTIFACTS / "02-new-customer.png"), full_page=True)
    page.click("[data-testid=customer-form] button.primary[type=submit]")
    page.wait_for_url("**/customers/cu_*/")
    assert "Zahnarztpraxis Weiß" in page.inner_text("h1")
    assert page.locator(".flash.success").inner_text().startswith("Customer “Zahnarztpraxis Weiß” created")

    page.goto(base + "/customers/")
    table = page.locator("[data-testid=customer-table]")
    assert "Zahnarztpraxis Weiß" in table.inner_text()
    # htmx search narrows the table in place (no full page load).
    page.fill("input[name=q]", "zahnarzt")
    expect(page.locator("[data-testid=customer-table] tbody tr")).to_have_count(1)
    assert "Zahnarztpraxis Weiß" in table.inner_text() and "Kanzlei Vogt" not in table.inner_text()
    assert "q=zahnarzt" in page.url
    page.fill("input[name=q]", "")
    expect(page.locator("[data-testid=customer-table] tbody tr")).to_have_count(7)
    page.screenshot(path=str(ARTIFACTS / "03-customer-listed.png"), full_page=True)
    if os.environ.get("KUSTOS_UPDATE_SCREENSHOTS"):  # refresh the README picture on request only
        shutil.copyfile(ARTIFACTS / "03-customer-listed.png", REPO / "docs" / "screenshot-dashboard.png")

    page.click("form.lang button[value=de]")
    page.wait_for_load_state("networkidle")
    assert page.inner_text("h1") == "Kunden"
    headers = page.locator("[data-testid=customer-table] thead").inner_text().lower()
    assert "belegter speicher" in headers and "postfächer" in headers and "letzte aktivität" in headers
    assert "Neuer Kunde" in page.inner_text("[data-testid=new-customer]")
    assert "Aufträge" in page.inner_text("nav")
    page.screenshot(path=str(ARTIFACTS / "04-customers-de.png"), full_page=True)
    assert csp_errors == []

    # Tablet width: the same page stays usable (navigation wraps above the content).
    page.set_viewport_size({"width": 820, "height": 1180})
    page.reload()
    assert page.locator("nav .nav a").first.is_visible()
    page.screenshot(path=str(ARTIFACTS / "05-customers-tablet-de.png"), full_page=True)
    context.close()
