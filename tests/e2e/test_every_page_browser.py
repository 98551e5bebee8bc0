"""Every dashboard page in a real browser: a real `kustos serve` process on a seeded world (the
authorisation matrix's world: two partners, three customers, one user per role, archived mail,
sources, quarantine, procedure documents), Debian's Chromium driven by Playwright.

The operator, a partner admin, a customer admin, an end user and an auditor sign in (password,
plus TOTP where the role has it) and open every dashboard GET route the authorisation matrix
says they may open (tests/integration/authz_expectations.py, path parameters filled with the
role's own objects), first in English, then in German. Each HTML page must answer 200 without a
redirect, log no console error and no CSP violation, show a visible <h1> and not overflow
horizontally in a 1280-px window; downloads must answer 200. One browser, one context per role.
The own customer also has a Microsoft 365 source backed up from fakecloud (running for the whole
test), so the backup pages of its plan are visited too; the pages a form answers (the restore
review, the CSV activation report) are reached by submitting that form in the browser.

Seeding runs in a separate process against the server's home:
    KUSTOS_HOME=... python tests/e2e/test_every_page_browser.py --seed
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from binascii import unhexlify
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
KUSTOS = Path(sys.executable).with_name("kustos")
ROLES = ("operator", "partner_admin", "customer_admin", "end_user", "auditor")
WIDTH = 1280
# Routes whose HTML is a fragment, not a page: the sandboxed message body shown inside a frame; the Outlook
# add-in's task pane (shown inside Outlook, loads Office.js from Microsoft: tests/e2e/test_outlook_addin_browser.py).
FRAGMENTS = ("archive/messages/<str:message_id>/body/", "outlook/taskpane/")
# Served under the dashboard's URLs but not dashboard pages (no layout, no <h1>): status and console only.
NOT_DASHBOARD = ("api/v1/docs",)
_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium")]


# --- seeding (runs in its own process: `python tests/e2e/test_every_page_browser.py --seed`) ----------

def _seed() -> dict:
    import django  # noqa: PLC0415  (the seeding process only)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kustos.django_settings")
    django.setup()
    from django.core.management import call_command  # noqa: PLC0415
    from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: PLC0415

    from kustos.help import registry as help_registry  # noqa: PLC0415
    from kustos.lifecycle.services import gdpr, holds  # noqa: PLC0415
    from tests import factories  # noqa: PLC0415
    from tests.integration import authz_world  # noqa: PLC0415
    from tests.integration.authz_expectations import DASHBOARD, SHORT  # noqa: PLC0415

    call_command("migrate", interactive=False, verbosity=0)
    world = authz_world.build()
    by_kind = {"customer": world.customers.own, "partner": world.partners.own, "user": world.users.own,
               "auditor": world.auditors.own, "job": world.jobs.own, "source": world.sources.own,
               "message": world.messages.own, "upload": world.uploads.own, "upload_done": world.uploads_done.own,
               "quarantine": world.quarantine.own}
    short = {v: k for k, v in SHORT.items()}
    pages, unfilled = [], []
    for (method, route), (kind, spec) in sorted(DASHBOARD.items()):
        if method != "GET":
            continue
        codes = dict(part.split("=") for part in spec.split())
        allowed = [r for r in ROLES if codes[short[r]].split("/")[0] == "200"]
        if codes["anon"] == "200":
            allowed.append("anonymous")
        if not allowed:
            continue
        if kind == "token":
            unfilled.append(route)  # a token's own page differs per role; there is no GET token page today
            continue
        obj = by_kind.get(kind) if kind else None
        oid = getattr(obj, "id", "")
        values = {"customer_id": getattr(obj, "customer_id", None) or (oid if kind == "customer" else
                                                                       world.customers.own.id),
                  "partner_id": oid, "user_id": oid, "job_id": oid, "message_id": oid, "source_id": oid,
                  "item_id": oid, "hold_id": oid, "case_id": oid, "request_id": oid, "rule_id": oid,
                  "part": world.attachment_part["own"], "account": "nobody", "version": 1,
                  "uidb64": "MTIz", "token": "bogus-token", "slug": "search-archive", "month": "2025-03"}
        if kind == "customer":
            values["customer_id"] = oid
        missing = [p for p in _PARAM.findall(route) if p not in values]
        if missing:
            unfilled.append(route)
            continue
        path = "/" + _PARAM.sub(lambda m, values=values: str(values[m.group(1)]), route)
        pages.append({"route": route, "path": path, "roles": allowed})
    # Pages the matrix cannot reach with its ids (it puts a customer id where a case or request id
    # belongs): a legal-hold case and a data-subject request of the own customer, for the admins.
    own = world.customers.own
    case_id = holds.create(own, "Claim 2025-17", "figures", actor="seed").case_id
    request_id = gdpr.run(own, "access", "sender@supplier.example", actor="seed").id
    admins = ["partner_admin", "customer_admin"]
    pages += [{"route": "customers/<str:customer_id>/holds/cases/<str:case_id>/",
               "path": f"/customers/{own.id}/holds/cases/{case_id}/", "roles": admins},
              {"route": "customers/<str:customer_id>/gdpr/<str:request_id>/",
               "path": f"/customers/{own.id}/gdpr/{request_id}/", "roles": admins}]
    pages += _backup_pages(own)
    # Every help article (long command lines must not widen the page), for one role.
    pages += [{"route": f"help/{slug}/", "path": f"/help/{slug}/", "roles": ["end_user"]}
              for slug in help_registry.slugs()]
    actors = {}
    for role in ROLES:
        user = world.actors[role]
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        actors[role] = {"email": user.email, "password": factories.PASSWORD,
                        "totp": None if device is None else {"key": device.key, "step": device.step,
                                                             "digits": device.digits}}
    return {"pages": pages, "actors": actors, "unfilled": unfilled}


BACKUP_TENANT = "kustos-pages.onmicrosoft.com"
BACKUP_USER = f"lena@{BACKUP_TENANT}"
BACKUP_FILE = "a-rather-long-file-name-of-an-offer-for-the-new-office-furniture-2026.txt"


def _backup_pages(customer) -> list[dict]:
    """A Microsoft 365 source of the customer backed up from fakecloud (a mail and a OneDrive file: two
    accounts, one committed and indexed snapshot) and the pages of its plan, for the roles allowed to
    open them (the operator sees lists, not contents; browse and the plan form need restore/manage).
    fakecloud runs for the whole test (FAKECLOUD_URL): the CSV activation looks the accounts up there."""
    from urllib.parse import quote, urlencode  # noqa: PLC0415

    from fakecloud.client import Control  # noqa: PLC0415
    from kustos.archive.services import sources  # noqa: PLC0415
    from kustos.backup.models import BackupAccount  # noqa: PLC0415
    from kustos.backup.services import plans  # noqa: PLC0415
    from kustos.jobs import services as job_services  # noqa: PLC0415
    from kustos.jobs.models import Job  # noqa: PLC0415
    from kustos.jobs.tasks import execute  # noqa: PLC0415

    mime = (b"From: Max <max@example.org>\r\nTo: " + BACKUP_USER.encode() + b"\r\nSubject: Lieferung\r\n"
            b"Message-ID: <lieferung-1@example.org>\r\nDate: Mon, 1 Jun 2026 10:00:00 +0000\r\n\r\n"
            b"Die Lieferung enthaelt Wombatkekse.\r\n")
    control = Control(os.environ["FAKECLOUD_URL"])
    creds = control.credentials("ms", BACKUP_TENANT)
    control.seed("ms", BACKUP_TENANT, BACKUP_USER, "mail", "Inbox", mime)
    control.seed("ms", BACKUP_TENANT, BACKUP_USER, "file", f"/Docs/{BACKUP_FILE}", b"Angebot fuer Tapirsessel\n")
    source = sources.add(customer, "graph", {k: v for k, v in creds.items() if k != "client_secret"},
                         creds["client_secret"], actor="seed")
    plan = plans.enable(source, services=["mail", "onedrive"])
    job_services.set_inline(None)  # queued as under workers: the run, then the index job it queues
    job = plans.run_now(plan, actor="seed")
    execute(job.id)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, job.error
    for index_job in Job.objects.filter(kind="backup.index", state=Job.State.QUEUED):
        execute(index_job.id)
    snapshot = job.result["snapshot"]
    accounts = sorted(BackupAccount.objects.filter(plan=plan).values_list("scope_id", flat=True))
    assert len(accounts) == 2, accounts
    base = f"/customers/{customer.id}/sources/{source.id}/backup/"
    viewers, restorers = ["operator", "partner_admin", "customer_admin"], ["partner_admin", "customer_admin"]
    pages = [{"route": "customers/<str:customer_id>/sources/<str:source_id>/backup/", "path": base,
              "roles": viewers},
             {"route": "customers/<str:customer_id>/sources/<str:source_id>/backup/accounts/",
              "path": base + "accounts/", "roles": viewers},
             {"route": "customers/<str:customer_id>/sources/<str:source_id>/backup/enable/",
              "path": base + "enable/", "roles": restorers},
             {"route": "customers/<str:customer_id>/sources/<str:source_id>/backup/browse/",
              "path": base + "browse/", "roles": restorers},
             {"route": "customers/<str:customer_id>/backup/search/",
              "path": f"/customers/{customer.id}/backup/search/?q=Wombatkekse", "shows": "Wombatkekse",
              "roles": restorers}]
    for account in accounts:
        pages += [{"route": "customers/<str:customer_id>/sources/<str:source_id>/backup/accounts/<str:account>/",
                   "path": f"{base}accounts/{quote(account, safe='')}/", "roles": viewers},
                  {"route": "customers/<str:customer_id>/sources/<str:source_id>/backup/browse/",
                   "path": base + "browse/?" + urlencode({"snapshot": snapshot, "account": account}),
                   "roles": restorers}]
    # The restore wizard's review step (a POST from the browse page's form): the whole mail account.
    mail = next(a for a in accounts if a.startswith("mail:"))
    pages.append({"route": "customers/<str:customer_id>/sources/<str:source_id>/backup/restore/",
                  "path": base + "browse/?" + urlencode({"snapshot": snapshot, "account": mail}),
                  "submit": "[data-testid=backup-restore-submit]", "answer": base + "restore/", "roles": restorers})
    # The CSV bulk activation's report (a POST from the plan form): the user, already covered by the plan.
    pages.append({"route": "customers/<str:customer_id>/sources/<str:source_id>/backup/activate/",
                  "path": base + "enable/", "upload": {"input": "[data-testid=backup-activate] input[name=csv]",
                                                       "name": "accounts.csv", "content": f"account\n{BACKUP_USER}\n"},
                  "submit": "[data-testid=backup-activate] button[type=submit]", "answer": base + "activate/",
                  "shows": BACKUP_USER, "roles": restorers})
    drive = next(a for a in accounts if a.startswith("onedrive:"))
    pages.append({"route": "customers/<str:customer_id>/sources/<str:source_id>/backup/browse/",
                  "path": base + "browse/?" + urlencode({"snapshot": snapshot, "account": drive, "path": "Docs"}),
                  "shows": f"Docs/{BACKUP_FILE}", "roles": restorers})
    pages.append({"route": "customers/<str:customer_id>/sources/<str:source_id>/backup/item/",
                  "path": base + "item/?" + urlencode({"snapshot": snapshot, "account": drive,
                                                       "path": f"Docs/{BACKUP_FILE}"}),
                  "shows": f"Docs/{BACKUP_FILE}", "roles": restorers})
    return pages


# --- the browser test ------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def world_server(tmp_path_factory):
    from fakecloud.testing import running_fakecloud  # noqa: PLC0415
    from tests.e2e.serving import kustos_serve  # noqa: PLC0415

    home = tmp_path_factory.mktemp("kustos-every-page-home")
    with running_fakecloud() as cloud:  # the backup source's Microsoft 365 tenant
        env = {**os.environ, "KUSTOS_HOME": str(home), "KUSTOS_REQUIRE_2FA_FOR_ADMINS": "1",
               "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)]), "FAKECLOUD_URL": cloud.base_url}
        env.pop("KUSTOS_DATABASE_URL", None)
        env.pop("KUSTOS_REDIS_URL", None)
        seed = subprocess.run([sys.executable, str(Path(__file__)), "--seed"], env=env, capture_output=True,
                              text=True, timeout=300, check=False)
        assert seed.returncode == 0, seed.stderr[-3000:]
        info = json.loads(seed.stdout.strip().splitlines()[-1])
        with kustos_serve(KUSTOS, env, home, _free_port()) as base:
            yield base, info


def _code(totp_info: dict) -> str:
    from django_otp.oath import totp  # noqa: PLC0415

    if time.time() % 30 > 27:  # a code is accepted once per 30 s step: wait for a fresh one near the end
        time.sleep(30 - time.time() % 30 + 0.5)
    digits = totp_info["digits"]
    return f"{totp(unhexlify(totp_info['key']), step=totp_info['step'], digits=digits):0{digits}d}"


def _sign_in(page, base: str, actor: dict) -> None:
    page.goto(base + "/login/")
    page.fill("input[name=email]", actor["email"])
    page.fill("input[name=password]", actor["password"])
    page.click("button.primary[type=submit]")
    page.wait_for_load_state()
    if actor["totp"]:
        page.wait_for_url("**/login/otp/**")
        page.fill("input[name=token]", _code(actor["totp"]))
        page.click("button.primary[type=submit]")
        page.wait_for_load_state()
    assert "/login/" not in page.url, f"{actor['email']} could not sign in: {page.url}"


def _check_pages(page, context, base: str, pages: list[dict], lang: str, errors: list[str]) -> list[str]:
    problems: list[str] = []
    for entry in pages:
        url = base + entry["path"]
        head = context.request.get(url, max_redirects=0)
        if head.status != 200:
            problems.append(f"{entry['path']}: HTTP {head.status}")
            continue
        if not head.headers.get("content-type", "").startswith("text/html") or entry["route"] in FRAGMENTS:
            continue  # a download or a fragment: the status is what counts
        errors.clear()
        response = page.goto(url)
        page.wait_for_load_state("load")
        where = f"{entry['path']} [{lang}]"
        if entry.get("submit"):  # a page a form of this one answers (a POST): submit it, check that page
            if response is None or response.status != 200:
                problems.append(f"{where}: HTTP {response and response.status} before submitting")
                continue
            if entry.get("upload"):
                upload = entry["upload"]
                page.set_input_files(upload["input"], files=[{"name": upload["name"], "mimeType": "text/csv",
                                                              "buffer": upload["content"].encode()}])
            with page.expect_navigation() as navigation:
                page.click(entry["submit"])
            response, url = navigation.value, base + entry["answer"]
            page.wait_for_load_state("load")
            where = f"{entry['answer']} (from {entry['path']}) [{lang}]"
        if response is None or response.status != 200 or page.url != url:
            problems.append(f"{where}: HTTP {response and response.status}, ended at {page.url}")
            continue
        if errors:
            problems.append(f"{where}: console: {errors[:3]}")
        if entry["route"] in NOT_DASHBOARD:
            continue
        if page.get_attribute("html", "lang") != lang:
            problems.append(f"{where}: page language {page.get_attribute('html', 'lang')!r}")
        h1 = page.locator("h1")
        if h1.count() < 1 or not h1.first.is_visible() or not h1.first.inner_text().strip():
            problems.append(f"{where}: no visible <h1>")
        if entry.get("shows") and entry["shows"] not in page.inner_text("body"):
            problems.append(f"{where}: does not show {entry['shows']!r}")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        if overflow > 0:
            problems.append(f"{where}: {overflow}px horizontal overflow at {WIDTH}px")
    return problems


def test_every_page_in_english_and_german_for_every_role(world_server, browser):
    base, info = world_server
    assert not info["unfilled"], f"routes the seed cannot fill: {info['unfilled']}"
    routes = {p["route"]: p["roles"] for p in info["pages"]}
    for route in ("help/", "help/<slug:slug>/", "help/getting-started/"):
        assert set(ROLES) <= set(routes[route]), route
    for route in ("customers/<str:customer_id>/journal/", "archive/search/", "login/",
                  "customers/<str:customer_id>/holds/cases/<str:case_id>/",
                  "customers/<str:customer_id>/sources/<str:source_id>/backup/",
                  "customers/<str:customer_id>/sources/<str:source_id>/backup/browse/",
                  "customers/<str:customer_id>/sources/<str:source_id>/backup/restore/",
                  "customers/<str:customer_id>/sources/<str:source_id>/backup/activate/",
                  "customers/<str:customer_id>/sources/<str:source_id>/backup/accounts/<str:account>/"):
        assert route in routes, route
    problems: list[str] = []
    visited = 0
    for role in ROLES:
        pages = [p for p in info["pages"] if role in p["roles"]]
        assert len(pages) >= 5, (role, pages)
        context = browser.new_context(viewport={"width": WIDTH, "height": 900}, locale="en-GB")
        # A CSP violation is also logged as a console error; this names the directive and the blocked resource.
        context.add_init_script("document.addEventListener('securitypolicyviolation', e => console.error("
                                "'CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI))")
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
        _sign_in(page, base, info["actors"][role])
        problems += [f"{role}: {p}" for p in _check_pages(page, context, base, pages, "en", errors)]
        page.goto(base + "/account/")
        page.click("form.lang button[value=de]")
        page.wait_for_load_state("load")
        problems += [f"{role}: {p}" for p in _check_pages(page, context, base, pages, "de", errors)]
        visited += 2 * len(pages)
        context.close()
    for lang, locale in (("en", "en-GB"), ("de", "de-DE")):  # signed out: the UI follows the browser
        pages = [p for p in info["pages"] if "anonymous" in p["roles"]]
        context = browser.new_context(viewport={"width": WIDTH, "height": 900}, locale=locale)
        page = context.new_page()
        errors = []
        page.on("console", lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None)
        problems += [f"signed out: {p}" for p in _check_pages(page, context, base, pages, lang, errors)]
        visited += len(pages)
        context.close()
    assert not problems, f"{len(problems)} problems in {visited} page visits:\n" + "\n".join(problems)


if __name__ == "__main__" and "--seed" in sys.argv:
    sys.path[:0] = [str(REPO / "src"), str(REPO)]
    print(json.dumps(_seed()))
