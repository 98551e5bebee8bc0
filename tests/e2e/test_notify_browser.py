"""The Notifications page in a real browser: a real `kustos serve` process, Debian's Chromium driven by
Playwright, and a real HTTP receiver on 127.0.0.1 (the tests' egress allowance lets the server reach
loopback). A partner admin adds a webhook endpoint for an event (the secret is shown once), sends a
test event (the receiver checks the signature with that secret; the page reports HTTP 200 and lists
the delivery with its code), adds an e-mail route and reads the page in German. At 1280 px nothing
overflows horizontally and no console error or CSP violation is logged.

Seeding runs in a separate process against the server's home:
    KUSTOS_HOME=... python tests/e2e/test_notify_browser.py --seed
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
KUSTOS = Path(sys.executable).with_name("kustos")
WIDTH = 1280
PASSWORD = "browser-notify-pass-42"

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium")]


def _seed() -> dict:
    import django  # noqa: PLC0415  (the seeding process only)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kustos.django_settings")
    django.setup()
    from django.core.management import call_command  # noqa: PLC0415

    from kustos.accounts.services import users  # noqa: PLC0415
    from kustos.tenants.services import customers, partners  # noqa: PLC0415

    call_command("migrate", interactive=False, verbosity=0)
    partner = partners.create("Alpha IT")
    customers.create(partner, "Kunde Eins")
    users.create("admin@alpha.example", "partner_admin", password=PASSWORD, partner=partner, actor="seed")
    return {"partner_admin": "admin@alpha.example", "password": PASSWORD, "partner": partner.id}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from tests.e2e.serving import kustos_serve  # noqa: PLC0415

    home = tmp_path_factory.mktemp("kustos-notify-home")
    env = {**os.environ, "KUSTOS_HOME": str(home), "KUSTOS_REQUIRE_2FA_FOR_ADMINS": "0",
           "KUSTOS_SOURCES_ALLOWED_NETWORKS": "127.0.0.0/8,::1/128",
           "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)])}
    env.pop("KUSTOS_DATABASE_URL", None)
    env.pop("KUSTOS_REDIS_URL", None)
    seed = subprocess.run([sys.executable, str(Path(__file__)), "--seed"], env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert seed.returncode == 0, seed.stderr[-3000:]
    info = json.loads(seed.stdout.strip().splitlines()[-1])
    with kustos_serve(KUSTOS, env, home, _free_port()) as base:
        yield base, info


@pytest.fixture
def receiver():
    received: list[tuple[dict, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/kustos-hook", received
    httpd.shutdown()
    httpd.server_close()


def _no_overflow(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{page.url} is {width} px wide in a {WIDTH}-px window"


def test_partner_admin_adds_a_webhook_sends_a_test_and_reads_german(browser, server, receiver):
    base, info = server
    url, received = receiver
    context = browser.new_context(viewport={"width": WIDTH, "height": 900}, locale="en-GB")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.goto(base + "/login/")
    page.fill("input[name=email]", info["partner_admin"])
    page.fill("input[name=password]", info["password"])
    page.click("button.primary[type=submit]")
    page.wait_for_url(base + "/")

    page.click("nav >> text=Notifications")
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text().strip() == "Notifications"
    _no_overflow(page)
    page.fill("#wh-url", url)
    page.check("[data-testid=notify-webhook-add] input[value='source.failing']")
    page.click("[data-testid=notify-webhook-add] button[type=submit]")
    page.wait_for_load_state("load")
    secret = page.locator("[data-testid=webhook-secret] code").inner_text().strip()
    assert secret.startswith("whsec_")
    assert page.locator("[data-testid=notify-route]").count() == 1  # the route for source.failing

    page.click("[data-testid=webhook-test]")
    page.wait_for_load_state("load")
    assert "HTTP 200" in page.content()
    assert page.locator("[data-testid=webhook-secret]").count() == 0  # shown once only
    row = page.locator("[data-testid=notify-delivery]").first.inner_text()
    assert "test" in row and "200" in row
    assert len(received) == 1
    headers, body = received[0]
    mac = hmac.new(secret.encode(), headers["x-kustos-timestamp"].encode() + b"." + body, hashlib.sha256).hexdigest()
    assert headers["x-kustos-signature"] == f"sha256={mac}" and json.loads(body)["type"] == "test"

    page.select_option("#nr-event", "storage.growth")
    page.select_option("#nr-channel", "email")
    page.fill("#nr-addresses", "noc@alpha.example")
    page.click("[data-testid=notify-route-add] button[type=submit]")
    page.wait_for_load_state("load")
    assert page.locator("[data-testid=notify-route]").count() == 2 and "noc@alpha.example" in page.content()
    _no_overflow(page)

    page.goto(base + "/account/")
    page.click("form.lang button[value=de]")
    page.wait_for_load_state("load")
    page.goto(base + "/notifications/")
    assert page.locator("h1").inner_text().strip() == "Benachrichtigungen"
    assert "Webhook-Endpunkte" in page.content() and "Letzte Zustellungen" in page.content()
    _no_overflow(page)
    assert not problems, problems
    context.close()


if __name__ == "__main__" and "--seed" in sys.argv:
    print(json.dumps(_seed()))
