"""The archive in a real browser: a real `kustos serve` process with mail imported through
`kustos import`, Debian's Chromium driven by Playwright. A customer admin signs in, searches,
opens a message (sandboxed body frame), downloads the original and checks its SHA-256
against `kustos message show --json`; the other archive pages are opened and photographed."""

from __future__ import annotations

import hashlib
import json
import mailbox
import os
import socket
import subprocess
import sys
import zipfile
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest

from tests.e2e.artifacts import ARTIFACTS
from tests.e2e.serving import kustos_serve

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
KUSTOS = Path(sys.executable).with_name("kustos")
PASSWORD = "archive-browser-pass-42"
ADMIN = "admin@praxis-lange.example"

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _mbox(path: Path, subject_prefix: str = "") -> None:
    """A small MBOX: plain mails, one HTML newsletter with a remote image, one with an attachment."""
    box = mailbox.mbox(str(path))
    base = datetime(2024, 2, 5, 9, 30, tzinfo=UTC)
    subjects = ["Quartalsabrechnung Q1", "Terminbestätigung Praxis", "Laborbefund Müller",
                "Rechnung 2024-117", "Newsletter März", "Dienstplan April"]
    for i, subject in enumerate(subjects):
        msg = EmailMessage()
        msg["From"] = f"Absender {i} <sender{i}@partner{i % 2}.example>"
        msg["To"] = "empfang@praxis-lange.example"
        msg["Subject"] = subject_prefix + subject
        msg["Date"] = format_datetime(base + timedelta(days=9 * i))
        msg["Message-ID"] = f"<browser{i}{subject_prefix.strip()}@praxis-lange.example>"
        msg.set_content(f"Guten Tag,\n\nanbei {subject}. Quartalsbericht folgt.\n\nViele Grüße\nAbsender {i}\n")
        if "Newsletter" in subject:
            msg.add_alternative('<p>Unser <b>Newsletter</b> zum Quartalsbericht.</p>'
                                '<img src="https://tracker.example/p.gif" alt="">'
                                '<script>document.title="pwned"</script>', subtype="html")
        if "Rechnung" in subject:
            msg.add_attachment(b"Rechnung 2024-117 Betrag 480,00 EUR", maintype="text", subtype="plain",
                               filename="rechnung-2024-117.txt")
        box.add(msg)
    box.flush()
    box.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`kustos serve --no-smtp` on a free port with a temp home holding one customer with mail."""
    home = tmp_path_factory.mktemp("kustos-archive-browser")
    env = {**os.environ, "KUSTOS_HOME": str(home / "home"), "KUSTOS_REQUIRE_2FA_FOR_ADMINS": "0",
           "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)])}
    env.pop("KUSTOS_DATABASE_URL", None)
    env.pop("KUSTOS_REDIS_URL", None)

    def cli(*args: str, stdin: str | None = None) -> dict:
        done = subprocess.run([str(KUSTOS), *args, "--json"], env=env, input=stdin, capture_output=True, text=True,
                              timeout=180)
        assert done.returncode == 0, f"kustos {' '.join(args)} failed: {done.stderr[-2000:]}"
        return json.loads(done.stdout)

    partner = cli("partner", "create", "Systemhaus Nord")
    customer = cli("customer", "create", "--partner", partner["id"], "Praxis Dr. Lange")
    cli("user", "create", "--email", ADMIN, "--role", "customer_admin", "--customer", customer["id"],
        "--password-stdin", stdin=PASSWORD + "\n")
    mbox_path = home / "praxis.mbox"
    _mbox(mbox_path)
    imported = cli("import", "--customer", customer["id"], "--mailbox", "empfang@praxis-lange.example", str(mbox_path))
    assert imported["imported"] == 6
    port = _free_port()
    with kustos_serve(KUSTOS, env, home, port) as base:
        yield base, customer, cli




def test_customer_admin_searches_opens_and_downloads_original(server, browser):
    from playwright.sync_api import expect  # noqa: PLC0415

    base, customer, cli = server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-GB", accept_downloads=True)
    page = context.new_page()
    csp_errors: list[str] = []
    page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)
    remote_requests: list[str] = []
    page.on("request", lambda r: remote_requests.append(r.url) if not r.url.startswith(base) else None)

    page.goto(base + "/archive/search/")
    page.fill("input[name=email]", ADMIN)
    page.fill("input[name=password]", PASSWORD)
    page.click("button.primary[type=submit]")
    page.wait_for_url(base + "/archive/search/")
    # A customer admin has exactly one customer: its newest mail is listed right away.
    expect(page.locator("[data-testid=archive-count]")).to_have_text("6 messages")
    page.fill("input[name=q]", "quartalsbericht")
    page.click("[data-testid=archive-search-submit]")
    expect(page.locator("[data-testid=archive-count]")).to_have_text("6 messages")
    page.fill("input[name=q]", 'subject:rechnung has:attachment')
    page.click("[data-testid=archive-search-submit]")
    expect(page.locator("[data-testid=archive-count]")).to_have_text("1 message")
    assert "q=subject" in page.url
    page.fill("input[name=q]", "")
    page.click("[data-testid=archive-search-submit]")
    expect(page.locator("[data-testid=archive-count]")).to_have_text("6 messages")
    page.screenshot(path=str(ARTIFACTS / "archive-01-search.png"), full_page=True)
    # Export two ticked messages as EML-zip: the button is enabled by the selection.
    assert page.locator("[data-testid=export-selected]").is_disabled()
    boxes = page.locator("input[name=ids]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    with page.expect_download() as info:
        page.click("[data-testid=export-selected]")
    with zipfile.ZipFile(info.value.path()) as zf:
        assert len(zf.namelist()) == 2 and all(n.endswith(".eml") for n in zf.namelist())
    # Facets are filters: a sender domain narrows the list in place (htmx) and lands in the URL.
    page.click("[data-testid=facet-domain] a[title='partner0.example']")
    expect(page.locator("[data-testid=archive-count]")).to_have_text("3 messages")
    assert "domain=partner0.example" in page.url
    page.goto(base + "/archive/search/")
    page.fill("input[name=q]", 'subject:"unclosed')
    page.click("[data-testid=archive-search-submit]")
    expect(page.locator("[data-testid=archive-error]")).to_be_visible()

    page.fill("input[name=q]", "newsletter")
    page.click("[data-testid=archive-search-submit]")
    expect(page.locator("[data-testid=archive-count]")).to_have_text("1 message")
    page.click("[data-testid=hit-link]")
    page.wait_for_url("**/archive/messages/ms_*/")
    frame = page.frame_locator("[data-testid=message-frame]")
    expect(frame.locator("body")).to_contain_text("Newsletter")
    assert frame.locator("script").count() == 0
    assert frame.locator("img[src*='tracker.example']").count() == 0
    assert page.title() != "pwned"
    assert page.locator("[data-testid=load-remote]").is_visible()
    page.screenshot(path=str(ARTIFACTS / "archive-02-message.png"), full_page=True)

    message_id = page.locator("[data-testid=archive-id]").inner_text().strip()
    expected = cli("message", "show", message_id)["sha256"]
    assert page.locator("[data-testid=sha256]").inner_text().strip() == expected
    with page.expect_download() as info:
        page.click("[data-testid=download-eml]")
    data = Path(info.value.path()).read_bytes()
    assert hashlib.sha256(data).hexdigest() == expected

    page.click("[data-testid=view-text]")
    expect(page.locator("[data-testid=message-text]")).to_contain_text("Quartalsbericht")

    page.goto(base + "/archive/search/?q=rechnung")
    page.click("[data-testid=hit-link]")
    expect(page.locator("[data-testid=attachments]")).to_contain_text("rechnung-2024-117.txt")
    page.screenshot(path=str(ARTIFACTS / "archive-02b-attachment.png"), full_page=True)

    page.goto(base + f"/archive/customers/{customer['id']}/folders/")
    expect(page.locator("[data-testid=mailbox-tree]")).to_contain_text("empfang@praxis-lange.example")
    page.screenshot(path=str(ARTIFACTS / "archive-03-folders.png"), full_page=True)
    # Connect an IMAP mailbox through the form; testing it against a closed port explains the failure.
    page.goto(base + f"/customers/{customer['id']}/sources/new/?kind=imap")
    page.fill("input[name=name]", "Empfang (IMAP)")
    page.fill("input[name=host]", "127.0.0.1")
    page.fill("input[name=port]", str(_free_port()))
    page.select_option("select[name=security]", "none")
    page.fill("input[name=username]", "empfang@praxis-lange.example")
    page.fill("input[name=password]", "imap-secret-1")
    page.fill("textarea[name=exclude]", "Junk, Trash")
    page.screenshot(path=str(ARTIFACTS / "archive-05-source-form.png"), full_page=True)
    page.click("[data-testid=source-form] button.primary[type=submit]")
    page.wait_for_url(base + f"/customers/{customer['id']}/sources/")
    expect(page.locator("[data-testid=source-table]")).to_contain_text("Empfang (IMAP)")
    page.click("[data-testid=source-test]")
    expect(page.locator(".flash.error")).to_contain_text("failed")
    page.screenshot(path=str(ARTIFACTS / "archive-04-sources.png"), full_page=True)
    for path, name in ((f"/customers/{customer['id']}/journal/", "archive-06-journal"),
                       (f"/customers/{customer['id']}/import/", "archive-07-import"),
                       (f"/customers/{customer['id']}/", "archive-08-customer")):
        page.goto(base + path)
        assert page.locator("h1").is_visible()
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    page.set_viewport_size({"width": 820, "height": 1100})
    page.goto(base + "/archive/search/?q=quartalsbericht")
    page.screenshot(path=str(ARTIFACTS / "archive-11-search-tablet.png"), full_page=True)
    page.set_viewport_size({"width": 1400, "height": 900})
    # The same search in German.
    page.goto(base + "/archive/search/?q=quartalsbericht")
    page.click("form.lang button[value=de]")
    page.wait_for_load_state("networkidle")
    expect(page.locator("[data-testid=archive-count]")).to_have_text("6 Nachrichten")
    page.screenshot(path=str(ARTIFACTS / "archive-10-search-de.png"), full_page=True)
    assert not csp_errors, csp_errors
    assert not remote_requests, remote_requests
    context.close()


def test_upload_resumes_after_a_network_error_and_imports(server, browser, tmp_path):
    """upload.js sends the file through the upload API; the first chunk request is dropped by the
    network, the script asks the server where to resume, finishes, and links the import job."""
    from playwright.sync_api import expect  # noqa: PLC0415

    base, customer, cli = server
    mbox_path = tmp_path / "altbestand.mbox"
    _mbox(mbox_path, subject_prefix="Altbestand ")
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-GB")
    page = context.new_page()
    dropped: list[str] = []

    def flaky(route):
        if route.request.method == "PUT" and not dropped:
            dropped.append(route.request.url)
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/api/v1/uploads/*", flaky)
    page.goto(base + f"/customers/{customer['id']}/import/")
    page.fill("input[name=email]", ADMIN)
    page.fill("input[name=password]", PASSWORD)
    page.click("button.primary[type=submit]")
    page.wait_for_url(base + f"/customers/{customer['id']}/import/")
    page.fill("[data-testid=upload-mailbox]", "archiv@praxis-lange.example")
    page.set_input_files("[data-testid=upload-files]", str(mbox_path))
    # Small chunks, so this small file goes up in several PUTs (the page default is 8 MiB).
    page.evaluate("document.querySelector('form[data-upload]').dataset.chunk = '1000'")
    puts: list[str] = []
    page.on("request", lambda r: puts.append(r.url) if r.method == "PUT" else None)
    page.click("[data-testid=upload-start]")
    expect(page.locator("[data-testid=upload-job-link]")).to_be_visible(timeout=60000)
    assert dropped, "the first chunk was not sent through the API"
    size = mbox_path.stat().st_size
    offsets = [int(u.rsplit("offset=", 1)[1]) for u in puts]
    assert offsets[0] == 0 and offsets[1] == 0  # the dropped chunk is sent again from where the server is
    assert sorted(set(offsets)) == list(range(0, size, 1000))
    page.screenshot(path=str(ARTIFACTS / "archive-09-upload.png"), full_page=True)
    job_url = page.locator("[data-testid=upload-job-link]").get_attribute("href")
    page.goto(base + job_url)
    expect(page.locator("#job-progress")).to_contain_text("succeeded", timeout=60000)
    hits = cli("search", "--customer", customer["id"], "subject:altbestand")
    assert hits["total"] == 6
    context.close()
