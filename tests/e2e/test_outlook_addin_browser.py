"""The Outlook add-in's task pane in a real browser: a real `kustos serve` with an end user's archived mail,
Debian's Chromium driven by Playwright, and Office.js replaced at the network layer by a stub host (the
pane loads Microsoft's official Office.js address; the stub answers Office.onReady and names the mailbox
open in Outlook). The end user signs in with an API token, searches, opens a message (sanitised, in a
sandboxed frame) and clicks restore: the pane sends POST …/archive/restore with the message id and the
Outlook mailbox, then follows the job to its report. German in a German browser."""

from __future__ import annotations

import json
import mailbox
import os
import socket
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.e2e.artifacts import ARTIFACTS
from tests.e2e.serving import kustos_serve

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
KUSTOS = Path(sys.executable).with_name("kustos")
OFFICE_JS = "https://appsforoffice.microsoft.com/lib/1/hosted/office.js"
ANNA = "anna@praxis-outlook.example"
OTHER = "bernd@praxis-outlook.example"

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium")]

OFFICE_STUB = """
window.__officeReady = 0;
window.Office = {
  context: {mailbox: {userProfile: {emailAddress: "MAILBOX", displayName: "Anna"}}, displayLanguage: "en-US"},
  onReady: function (cb) {
    window.__officeReady += 1;
    var info = {host: "Outlook", platform: "OfficeOnline"};
    setTimeout(function () { if (cb) { cb(info); } }, 0);
    return Promise.resolve(info);
  }
};
""".replace("MAILBOX", ANNA)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _mbox(path: Path, owner: str, subjects: list[str]) -> None:
    box = mailbox.mbox(str(path))
    for i, subject in enumerate(subjects):
        msg = EmailMessage()
        msg["From"] = f"Lieferant {i} <lieferant{i}@example.org>"
        msg["To"] = owner
        msg["Subject"] = subject
        msg["Date"] = f"Mon, 0{i + 1} Apr 2024 09:00:00 +0000"
        msg["Message-ID"] = f"<outlook-{owner}-{i}@example.org>"
        msg.set_content(f"Guten Tag,\n\n{subject}: Seepferdchen {i}.\n")
        msg.add_alternative(f"<p>{subject}: <b>Seepferdchen {i}</b></p>"
                            '<script>document.title="pwned"</script><img src="https://tracker.example/p.gif">',
                            subtype="html")
        box.add(msg)
    box.flush()
    box.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("kustos-outlook-browser")
    env = {**os.environ, "KUSTOS_HOME": str(home / "home"), "KUSTOS_REQUIRE_2FA_FOR_ADMINS": "0",
           "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)])}
    env.pop("KUSTOS_DATABASE_URL", None)
    env.pop("KUSTOS_REDIS_URL", None)

    def cli(*args: str, stdin: str | None = None) -> dict:
        done = subprocess.run([str(KUSTOS), *args, "--json"], env=env, input=stdin, capture_output=True, text=True,
                              timeout=180)
        assert done.returncode == 0, f"kustos {' '.join(args)} failed: {done.stderr[-2000:]}"
        return json.loads(done.stdout)

    partner = cli("partner", "create", "Systemhaus Outlook")
    customer = cli("customer", "create", "--partner", partner["id"], "Praxis Outlook")
    cli("user", "create", "--email", ANNA, "--role", "end_user", "--customer", customer["id"], "--password-stdin",
        stdin="outlook-browser-pass-42\n")
    for owner, subjects in ((ANNA, ["Befund Seepferdchen", "Rechnung April", "Dienstplan Mai"]),
                            (OTHER, ["Geheim Seepferdchen"])):
        path = home / f"{owner}.mbox"
        _mbox(path, owner, subjects)
        cli("import", "--customer", customer["id"], "--mailbox", owner, str(path))
    token = cli("user", "token", "create", "--user", ANNA, "--name", "outlook")["token"]
    port = _free_port()
    env["KUSTOS_BASE_URL"] = f"http://127.0.0.1:{port}"
    with kustos_serve(KUSTOS, env, home, port) as base:
        yield base, customer, token


def _context(browser, locale: str):
    context = browser.new_context(viewport={"width": 380, "height": 900}, locale=locale)
    context.route(OFFICE_JS, lambda route: route.fulfill(status=200, content_type="text/javascript",
                                                         body=OFFICE_STUB))
    return context


def test_taskpane_signs_in_searches_opens_and_restores(server, browser):
    from playwright.sync_api import expect  # noqa: PLC0415

    base, customer, token = server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = _context(browser, "en-GB")
    page = context.new_page()
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url)
            if not r.url.startswith((base, "data:", "about:")) and r.url != OFFICE_JS else None)
    sent: list[dict] = []

    def restore(route, request):
        sent.append({"method": request.method, "body": json.loads(request.post_data or "{}"),
                     "auth": request.headers.get("authorization", "")})
        route.fulfill(status=202, content_type="application/json",
                      body=json.dumps({"id": "jb_outlooktest", "kind": "archive.restore", "state": "queued"}))

    def job(route, request):
        route.fulfill(status=200, content_type="application/json",
                      body=json.dumps({"id": "jb_outlooktest", "state": "succeeded",
                                       "result": {"restored": 1, "skipped": 0, "failed": []}}))

    page.route(f"{base}/api/v1/customers/{customer['id']}/archive/restore", restore)
    page.route(f"{base}/api/v1/customers/{customer['id']}/archive/restore/jb_outlooktest", job)

    page.goto(base + "/outlook/taskpane/")
    assert page.evaluate("window.__officeReady") == 1  # the pane waited for the (stub) Office host
    expect(page.locator("[data-testid=signin]")).to_be_visible()
    page.fill("[data-testid=token]", "not-a-token")
    page.click("[data-testid=signin-submit]")
    expect(page.locator("[data-testid=status]")).to_contain_text("not accepted")
    page.fill("[data-testid=token]", token)
    page.click("[data-testid=signin-submit]")
    expect(page.locator("[data-testid=who]")).to_contain_text(ANNA)
    # The newest of the user's own mail is listed at once; another mailbox's mail never.
    expect(page.locator("[data-testid=count]")).to_have_text("3 messages")
    expect(page.locator("[data-testid=hits]")).not_to_contain_text("Geheim")
    page.fill("[data-testid=q]", "befund")
    page.click("[data-testid=search-submit]")
    expect(page.locator("[data-testid=count]")).to_have_text("1 messages")
    page.screenshot(path=str(ARTIFACTS / "outlook-01-search.png"), full_page=True)

    page.click("[data-testid=hit]")
    expect(page.locator("[data-testid=msg-subject]")).to_have_text("Befund Seepferdchen")
    frame = page.frame_locator("[data-testid=msg-body]")
    expect(frame.locator("body")).to_contain_text("Seepferdchen 0")
    assert frame.locator("script").count() == 0
    assert frame.locator("img[src*='tracker.example']").count() == 0
    assert page.title() != "pwned"
    message_id = page.locator("[data-testid=hit]").first.get_attribute("data-id")
    page.screenshot(path=str(ARTIFACTS / "outlook-02-message.png"), full_page=True)

    page.click("[data-testid=restore]")
    expect(page.locator("[data-testid=status]")).to_contain_text("Restored: 1")
    assert sent == [{"method": "POST", "body": {"message_ids": [message_id], "to_mailbox": ANNA},
                     "auth": f"Bearer {token}"}]
    page.screenshot(path=str(ARTIFACTS / "outlook-03-restored.png"), full_page=True)
    assert outside == [], outside  # nothing but Kustos (and the stubbed Office.js) was loaded

    # Signed in again from the pane's storage on the next open; signing out forgets the token.
    page.reload()
    expect(page.locator("[data-testid=who]")).to_contain_text(ANNA)
    page.click("[data-testid=signout]")
    expect(page.locator("[data-testid=signin]")).to_be_visible()
    context.close()


def test_taskpane_in_german(server, browser):
    from playwright.sync_api import expect  # noqa: PLC0415

    base, _customer, token = server
    context = _context(browser, "de-DE")
    page = context.new_page()
    page.goto(base + "/outlook/taskpane/")
    expect(page.locator("[data-testid=signin]")).to_contain_text("API-Token")
    page.fill("[data-testid=token]", token)
    page.click("[data-testid=signin-submit]")
    expect(page.locator("[data-testid=who]")).to_contain_text("Angemeldet als")
    expect(page.locator("[data-testid=count]")).to_have_text("3 Nachrichten")
    page.click("[data-testid=hit] >> nth=0")
    expect(page.locator("[data-testid=restore]")).to_have_text("In mein Postfach wiederherstellen")
    expect(page.locator("#msg-headers")).to_contain_text("Von")
    page.screenshot(path=str(ARTIFACTS / "outlook-04-german.png"), full_page=True)
    context.close()
