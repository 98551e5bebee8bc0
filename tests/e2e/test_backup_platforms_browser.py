"""Protecting Google Workspace, Dropbox, Box and Salesforce from the dashboard, in a real browser: a real
`kustos serve` process (its huey consumer runs the jobs), fakecloud as the four clouds, Debian's Chromium
driven by Playwright. Per platform a customer admin

1. goes from the customer's page to Backup -> Add source, picks the platform, reads its set-up steps (English
   and German) and its help article, fills the form with the emulator's credentials, saves and tests the
   connection (the emulator's API address is not a dashboard setting: it is set through the REST API, as
   an operator scripting a test installation would);
2. enables backup (one service; one account chosen by e-mail address through the plan's CSV activation),
   runs a backup, lets the emulator lose most items (Salesforce: and change a field), runs a second backup;
3. browses the FIRST snapshot down to an item, opens its detail page and downloads it, opens the account's
   snapshot timeline, searches the backups for a seeded word and downloads the hit, comparing sha256 (records:
   fields) with what was seeded;
4. restores the item of the first snapshot (the point in time before the deletion) through the restore
   wizard into another user (Salesforce: into a second org, first one lacking the object, whose failure the
   job page shows) and finds its bytes / fields in the emulator;
5. sees the mass-deletion alert on the Backup page;
6. compares the two snapshots: Salesforce shows the changed field with old and new value and its CSV has
   the row; a file platform is told that its snapshots hold no records.

Two platforms walk in English, two in German. Seeding runs in a separate process against the server's home:
    KUSTOS_HOME=... python tests/e2e/test_backup_platforms_browser.py --seed
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.e2e.artifacts import ARTIFACTS

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
KUSTOS = Path(sys.executable).with_name("kustos")
PASSWORD = "platform-walk-pass-42"
PLATFORMS = ("gmail", "dropbox", "box", "salesforce")
BULK = 52  # items the emulator loses before the second backup: above the mass-deletion floor (50, > 30 %)
WAIT = 120.0

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium")]


# --- seeding (runs in its own process: `python tests/e2e/test_backup_platforms_browser.py --seed`) -----

def _seed() -> dict:
    import django  # noqa: PLC0415  (the seeding process only)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kustos.django_settings")
    django.setup()
    from django.core.management import call_command  # noqa: PLC0415

    from kustos.accounts.services import tokens, users  # noqa: PLC0415
    from kustos.tenants.services import customers, locations, partners  # noqa: PLC0415

    call_command("migrate", interactive=False, verbosity=0)
    partner = partners.create("Nordwind IT")
    out: dict[str, Any] = {"customers": {}}
    for kind in PLATFORMS:
        customer = customers.create(partner, f"Kunde {kind}", location=locations.default(), backup_enabled=True,
                                    actor="seed")
        admin = users.create(f"admin-{kind}@kunde.example", "customer_admin", password=PASSWORD, customer=customer,
                             name="Jana Becker", actor="seed")
        _, token = tokens.create(admin, "e2e", actor="seed")
        out["customers"][kind] = {"id": customer.id, "email": admin.email, "token": token}
    return out


# --- the platforms ---------------------------------------------------------------------------------------

@dataclass
class Platform:
    kind: str  # the source kind
    service: str  # fakecloud's service name
    tenant: str
    user: str  # the backed-up account (as the plan form takes it)
    other: str  # the restore target ("" = restore in place)
    services: list[str]  # the backup services ticked
    lang: str
    form: Callable[[dict], dict[str, str]]  # dashboard form values from the emulator's credentials
    endpoint: Callable[[dict], dict[str, str]]  # config the REST API sets (not on the dashboard)
    secret: Callable[[dict], str]
    other_org: str = ""  # a second tenant restored into through a second source (one org per source)


def _files_seed(control, p: Platform) -> dict[str, Any]:
    """A document with a searchable word, a kept file and BULK small files (later removed)."""
    seeded = {"/Docs/angebot.txt": b"Angebot fuer Tapirsessel und Wombatlampen\n",
              "/Docs/keep.txt": b"stays\n"}
    seeded |= {f"/Rechnungen/r{i:02d}.txt": f"Rechnung {i}\n".encode() for i in range(BULK)}
    for path, data in seeded.items():
        control.seed(p.service, p.tenant, p.user, "file", path, data)
    if p.other:
        control.seed(p.service, p.tenant, p.other, "file", "/mine.txt", b"the other account's own file\n")
    return {"files": seeded, "word": "Tapirsessel", "pick": ("Rechnungen", "r00.txt"),
            "hit": "Docs/angebot.txt"}


def _files_change(control, p: Platform, seed: dict) -> None:
    for i in range(BULK):
        control.remove(p.service, p.tenant, p.user, "file", f"/Rechnungen/r{i:02d}.txt")


def _sf_add(control, p: Platform, obj: str, values: dict) -> str:
    return control.seed("salesforce", p.tenant, "", obj, "", json.dumps(values).encode())["id"]


def _sf_seed(control, p: Platform) -> dict[str, Any]:
    acme = _sf_add(control, p, "Account", {"Name": "Tapirsessel GmbH", "Industry": "Retail"})
    deals = [_sf_add(control, p, "Opportunity", {"Name": f"Deal {i:02d}", "Amount": 1000 + i}) for i in range(BULK)]
    return {"acme": acme, "deals": deals, "word": "Tapirsessel", "pick": ("Opportunity", deals[0]),
            "hit_prefix": "Account/"}


def _sf_change(control, p: Platform, seed: dict) -> None:
    control.seed("salesforce", p.tenant, "", "Account", seed["acme"], json.dumps({"Industry": "Banking"}).encode())
    for deal in seed["deals"]:
        control.remove("salesforce", p.tenant, "", "Opportunity", deal)


GOOGLE = Platform(
    "gmail", "google", "kustos-walk-google.example", "lena@kustos-walk-google.example",
    "max@kustos-walk-google.example", ["drive"], "de",
    form=lambda s: {"admin_email": s["admin"]}, endpoint=lambda s: {"endpoint": s["endpoint"]},
    secret=lambda s: json.dumps(s["service_account"]))
DROPBOX = Platform(
    "dropbox", "dropbox", "kustos-walk-dropbox.example", "lena@kustos-walk-dropbox.example",
    "max@kustos-walk-dropbox.example", ["files"], "en",
    form=lambda s: {"app_key": s["app_key"], "app_secret": s["app_secret"]},
    endpoint=lambda s: {"endpoint": s["endpoint"]}, secret=lambda s: s["app_secret"])
BOX = Platform(
    "box", "box", "kustos-walk-box.example", "lena@kustos-walk-box.example", "max@kustos-walk-box.example",
    ["files"], "de",
    form=lambda s: {"enterprise_id": s["enterprise_id"], "client_id": s["client_id"],
                    "client_secret": s["client_secret"]},
    endpoint=lambda s: {"endpoint": s["endpoint"], "upload_endpoint": s["upload_endpoint"]},
    secret=lambda s: s["client_secret"])
SALESFORCE = Platform(
    "salesforce", "salesforce", "kustos-walk.my.salesforce.example", "", "", ["data"], "en",
    form=lambda s: {"client_id": s["client_id"], "username": s["username"], "private_key": s["private_key"],
                    "endpoint": s["endpoint"]},
    endpoint=lambda s: {}, secret=lambda s: s["private_key"], other_org="kustos-walk-sandbox.my.salesforce.example")
BY_KIND = {p.kind: p for p in (GOOGLE, DROPBOX, BOX, SALESFORCE)}

# What the pages say, per language (the generic dashboard texts; the kinds' own texts come from the registry).
TEXT = {
    "en": {"sources": "Sources", "added": "then it runs on its schedule", "added_backup": "then enable its backup",
           "tested": "works", "enabled": "Backup is enabled", "started": "backup run was started",
           "all_accounts": "All accounts, including new ones", "csv": "bulk activation from CSV", "hits": "hit",
           "review": "Review restore", "restore_job": "Restore from backup", "restored": "1 restored, 0 skipped",
           "failed_one": "1 item failed", "mass": "Mass deletion", "deleted": "%d items deleted"},
    "de": {"sources": "Quellen", "added": "danach läuft sie nach Zeitplan",
           "added_backup": "aktivieren Sie danach ihr Backup", "tested": "funktioniert", "enabled": "Backup ist",
           "started": "Sicherung wurde gestartet", "all_accounts": "Alle Konten, auch neu hinzukommende",
           "csv": "Massenaktivierung aus CSV", "hits": "Treffer", "review": "Wiederherstellung prüfen",
           "restore_job": "Wiederherstellung aus dem Backup", "restored": "1 wiederhergestellt, 0 übersprungen",
           "failed_one": "1 Element fehlgeschlagen", "mass": "Massenlöschung", "deleted": "%d Elemente gelöscht"},
}


# --- fixtures ----------------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def walk_server(tmp_path_factory):
    from fakecloud.testing import running_fakecloud  # noqa: PLC0415
    from tests.e2e.serving import kustos_serve  # noqa: PLC0415

    home = tmp_path_factory.mktemp("kustos-platforms-home")
    with running_fakecloud() as cloud:
        env = {**os.environ, "KUSTOS_HOME": str(home), "KUSTOS_REQUIRE_2FA_FOR_ADMINS": "0",
               "KUSTOS_SOURCES_ALLOWED_NETWORKS": "127.0.0.0/8,::1/128",
               "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)])}
        env.pop("KUSTOS_DATABASE_URL", None)
        env.pop("KUSTOS_REDIS_URL", None)
        seed = subprocess.run([sys.executable, str(Path(__file__)), "--seed"], env=env, capture_output=True,
                              text=True, timeout=300, check=False)
        assert seed.returncode == 0, seed.stderr[-3000:]
        info = json.loads(seed.stdout.strip().splitlines()[-1])
        with kustos_serve(KUSTOS, env, home, _free_port()) as base:
            yield base, info, cloud.control, home


# --- browser helpers -----------------------------------------------------------------------------------------

def _sign_in(page, base: str, email: str) -> None:
    page.goto(base + "/login/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button.primary[type=submit]")
    page.wait_for_load_state()
    assert "/login/" not in page.url, f"{email} could not sign in: {page.url}"


def _language(page, lang: str) -> None:
    if page.get_attribute("html", "lang") != lang:
        page.click(f"form.lang button[value={lang}]")
        page.wait_for_load_state("load")
    assert page.get_attribute("html", "lang") == lang


def _flash(page) -> str:
    return page.locator(".flash").first.inner_text()


def _until(what: str, check: Callable[[], Any], timeout: float = WAIT, every: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(every)


def _snapshot_ids(page, url: str) -> list[str]:
    page.goto(url)
    return [t.strip() for t in page.locator("[data-testid=backup-snapshots] tbody tr td:first-child .sub").all_inner_texts()]


def _wait_job(page, base: str, job_url: str) -> None:
    page.goto(base + job_url)
    page.wait_for_selector("[data-testid=job-state][data-state=succeeded], [data-testid=job-state][data-state=failed]",
                           timeout=WAIT * 1000)
    state = page.get_attribute("[data-testid=job-state]", "data-state")
    assert state == "succeeded", page.inner_text("main")


def _backup_now(page, snapshots_url: str, lang: str) -> str:
    before = _snapshot_ids(page, snapshots_url)
    page.click("[data-testid=backup-run]")
    page.wait_for_load_state("load")
    assert TEXT[lang]["started"] in _flash(page)
    ids = _until("the backup snapshot", lambda: (lambda now: now if len(now) > len(before) else None)(
        _snapshot_ids(page, snapshots_url)))
    new = [i for i in ids if i not in before]
    assert len(new) == 1, ids
    assert "badge ok" in page.locator("[data-testid=backup-snapshots] tbody tr").first.inner_html()
    return new[0]


def _submit_source_form(page, p: Platform, creds: dict) -> None:
    for name, value in p.form(creds).items():
        page.fill(f"[data-testid=source-form] [name={name}]", value)
    if p.kind == "gmail":
        page.set_input_files("[data-testid=source-form] input[name=service_account]",
                             files=[{"name": "key.json", "mimeType": "application/json",
                                     "buffer": json.dumps(creds["service_account"]).encode()}])
    page.click("[data-testid=source-form] button.primary[type=submit]")


def _source_ids(page) -> list[str]:
    return [re.search(r"/sources/([^/]+)/edit/", a.get_attribute("href")).group(1)
            for a in page.locator("[data-testid=source-table] a[href$='/edit/']").all()]


def _zip_member(download) -> tuple[str, bytes]:
    data = Path(download.path()).read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = [n for n in z.namelist() if not n.endswith("/")]
        assert len(names) == 1, names
        return names[0], z.read(names[0])


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- the walk ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", PLATFORMS)
def test_protect_and_restore_a_platform_from_the_dashboard(walk_server, browser, kind):
    from kustos.sources.kinds import registry  # noqa: PLC0415

    base, info, control, _home = walk_server
    p = BY_KIND[kind]
    lang = p.lang
    me = info["customers"][kind]
    cid = me["id"]
    spec = registry.get(kind)
    control.call("reset")
    creds = control.credentials(p.service, p.tenant)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = lambda name: page.screenshot(path=str(ARTIFACTS / f"platform-{kind}-{name}.png"), full_page=True)  # noqa: E731

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB", accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _sign_in(page, base, me["email"])

    # 1. Add source: the platform's set-up steps in both languages, the form, the connection test.
    for shown in ("de", "en") if lang == "en" else ("en", "de"):
        page.goto(f"{base}/customers/{cid}/")  # the customer's page -> Backup -> Add source -> the platform
        _language(page, shown)
        page.click("[data-testid=backup-link]")
        page.click("[data-testid=backup-add-source]")
        page.wait_for_url(f"{base}/customers/{cid}/sources/new/")
        page.click(f"[data-testid=kind-{kind}]")
        page.wait_for_load_state("load")
        assert page.locator(f"[data-testid=kind-{kind}]").get_attribute("class") == "active"
        steps = [s.strip() for s in page.locator(".source-hint ol.steps li").all_inner_texts()]
        assert steps == [(de if shown == "de" else en) for en, de in spec.steps], steps
        assert (spec.label_de if shown == "de" else spec.label) in page.inner_text(".source-hint h2")
        # The page's help explains connecting a cloud platform for backup (not the IMAP/POP3 article).
        assert page.get_attribute("[data-testid=help-link]", "href") == "/help/protect-cloud-platforms/"
    page.click("[data-testid=help-link]")  # ... and names this platform
    page.wait_for_url(f"{base}/help/protect-cloud-platforms/")
    assert (spec.label_de if lang == "de" else spec.label).split()[0] in page.inner_text("main")
    page.go_back()
    page.wait_for_load_state("load")
    archives = "archive" in spec.services
    # A backup-only kind is never fetched on the source's own schedule (its backup plan has one): no interval.
    assert page.locator("[data-testid=source-form] input[name=interval_minutes]").is_visible() == archives
    shot("1-add-source")
    _submit_source_form(page, p, creds)
    page.wait_for_url(f"{base}/customers/{cid}/sources/")
    assert page.inner_text("h1").strip() == TEXT[lang]["sources"]  # not "Archive sources": it backs up too
    assert (TEXT[lang]["added"] if archives else TEXT[lang]["added_backup"]) in _flash(page), _flash(page)
    # The list offers what the source is for: archive runs only where the kind archives, its backup always.
    assert page.locator("[data-testid=source-run]").count() == (1 if archives else 0)
    [sid] = _source_ids(page)
    if p.endpoint(creds):  # the emulator's address: an API-only setting, sent with the secret again
        answer = httpx.patch(f"{base}/api/v1/sources/{sid}", headers={"Authorization": f"Bearer {me['token']}"},
                             json={"config": p.endpoint(creds), "secret": p.secret(creds)}, timeout=30)
        assert answer.status_code == 200, answer.text
    page.reload()
    page.click("[data-testid=source-test]")
    page.wait_for_load_state("load")
    assert TEXT[lang]["tested"] in _flash(page), _flash(page)

    # 2. Backup plan: one account, the chosen services; seed, back up, lose most items, back up again.
    seed = _sf_seed(control, p) if kind == "salesforce" else _files_seed(control, p)
    page.click("[data-testid=source-backup]")
    page.wait_for_url(f"{base}/customers/{cid}/sources/{sid}/backup/enable/")
    # The plan form speaks of accounts (not of one platform's users, sites and teams) and says where ids come from.
    scope_text = page.inner_text("[data-testid=backup-enable] fieldset")
    assert TEXT[lang]["all_accounts"] in scope_text and TEXT[lang]["csv"] in scope_text, scope_text
    offered = page.locator("[data-testid=backup-enable] input[name=services]")
    for i in range(offered.count()):
        box = offered.nth(i)
        box.set_checked(box.get_attribute("value") in p.services)
    # Paused: the scheduler starts no run of its own (a new plan is due at once); runs come from the button.
    page.check("[data-testid=backup-enable] input[name=paused]")
    shot("2-enable")
    page.click("[data-testid=backup-enable] button.primary[type=submit]")
    snapshots_url = f"{base}/customers/{cid}/sources/{sid}/backup/"
    page.wait_for_url(snapshots_url)
    assert TEXT[lang]["enabled"] in _flash(page)
    n_snaps = 2
    if kind == "dropbox":  # an e-mail address where the plan wants an id protects nothing: the page says so
        page.goto(f"{base}/customers/{cid}/sources/{sid}/backup/enable/")
        page.check("[data-testid=backup-enable] input[name=scope][value=list]")
        page.fill("[data-testid=backup-enable] textarea[name=scope_ids]", p.user)
        page.click("[data-testid=backup-enable] button.primary[type=submit]")
        page.wait_for_url(snapshots_url)
        assert page.locator("[data-testid=backup-unmatched-scopes]").count() == 0  # nothing to judge before a run
        _backup_now(page, snapshots_url, lang)
        assert p.user in page.inner_text("[data-testid=backup-unmatched-scopes]")
        shot("2-unmatched")
        page.goto(f"{base}/customers/{cid}/sources/{sid}/backup/enable/")  # back to all, then by e-mail via CSV
        page.check("[data-testid=backup-enable] input[name=scope][value=all]")
        page.click("[data-testid=backup-enable] button.primary[type=submit]")
        page.wait_for_url(snapshots_url)
        n_snaps = 3
    if p.user:  # one account, named by its e-mail address: the plan's CSV activation, "only these from now on"
        page.goto(f"{base}/customers/{cid}/sources/{sid}/backup/enable/")
        helptext = page.inner_text("[data-testid=backup-activate-help]")  # this platform's services as example
        assert ";".join(spec.backup_services) in helptext and "onedrive" not in helptext, helptext
        page.set_input_files("[data-testid=backup-activate] input[name=csv]",
                             files=[{"name": "accounts.csv", "mimeType": "text/csv",
                                     "buffer": f"account\n{p.user}\n".encode()}])
        page.check("[data-testid=backup-activate] input[name=explicit]")
        page.click("[data-testid=backup-activate] button[type=submit]")
        page.wait_for_load_state("load")
        report = page.inner_text("[data-testid=backup-activate-report]")
        assert p.user in report and "badge ok" in page.inner_html("[data-testid=backup-activate-report]"), report
        shot("2-activate")
        page.goto(snapshots_url)
    first = _backup_now(page, snapshots_url, lang)
    (_sf_change if kind == "salesforce" else _files_change)(control, p, seed)
    second = _backup_now(page, snapshots_url, lang)
    shot("3-snapshots")

    # 3. Browse the FIRST snapshot down to the item, the account's timeline, search and download.
    assert page.locator("[data-testid=backup-unmatched-scopes]").count() == 0
    rows = page.locator("[data-testid=backup-snapshots] tbody tr")
    assert rows.count() == n_snaps and first in rows.nth(1).inner_text() and second in rows.nth(0).inner_text()
    rows.nth(1).locator("a").click()
    page.wait_for_load_state("load")
    assert f"snapshot={first}" in page.url
    accounts = page.locator("[data-testid=backup-browse] tbody tr td:nth-child(1) a")
    assert accounts.count() == 1, page.inner_text("[data-testid=backup-browse]")
    # The account by its name (e-mail address / user name), as the accounts page shows it, not only its id.
    assert accounts.first.inner_text().strip() == (p.user or creds["username"])
    account = parse_qs(urlsplit(accounts.first.get_attribute("href")).query)["account"][0]
    accounts.first.click()
    page.wait_for_load_state("load")
    folder, item = seed["pick"]
    page.click(f"[data-testid=backup-browse] a:text-is('{folder}')")
    page.wait_for_load_state("load")
    item_path = f"{folder}/{item}"
    pick = page.locator(f"[data-testid=backup-pick][value='{item_path}']")
    if pick.count() == 0 and kind == "salesforce":  # a record is stored under its id plus a suffix
        pick = page.locator(f"[data-testid=backup-pick][value^='{item_path}']")
    assert pick.count() == 1, page.inner_text("[data-testid=backup-browse]")
    item_path = pick.get_attribute("value")
    shot("4-browse-first")
    # The item's detail: as backed up in the first snapshot, gone in the second; its bytes downloaded.
    page.click(f"[data-testid=backup-item-link]:text-is('{item_path}')")
    page.wait_for_load_state("load")
    assert page.inner_text("h1").strip() == item_path
    assert page.locator("[data-testid=backup-item-versions] tbody tr").count() == n_snaps
    assert page.locator("[data-testid=backup-item-versions] tbody tr a").count() == 1  # present in the first only
    shot("4-item")
    with page.expect_download() as got:
        page.click("[data-testid=backup-item-download]")
    _name, data = _zip_member(got.value)
    if kind == "salesforce":
        assert (json.loads(data)["Name"], json.loads(data)["Amount"]) == ("Deal 00", 1000)
    else:
        assert _sha(data) == _sha(seed["files"]["/" + item_path]) == page.inner_text("[data-testid=backup-item] dd.mono")
    page.goto(f"{base}/customers/{cid}/sources/{sid}/backup/accounts/")
    links = page.locator("[data-testid=backup-plan-accounts] a.primary")
    assert links.count() == 1 and (p.user or creds["username"]) in links.first.inner_text()
    links.first.click()
    page.wait_for_load_state("load")
    timeline = page.locator("[data-testid=backup-timeline-row]")
    assert timeline.count() == 2
    assert first in page.inner_text("[data-testid=backup-timeline]")

    def search_hits():
        page.goto(f"{base}/customers/{cid}/backup/search/?q={seed['word']}&snapshot={first}")
        return page.locator("[data-testid=backup-search-download]").count() > 0 and \
            not page.locator("[data-testid=backup-search-pending]").count()
    _until("the search index", search_hits)
    assert TEXT[lang]["hits"] in page.inner_text("[data-testid=backup-search-total]")
    shot("5-search")
    # A hit names its account as the accounts page does (e-mail address, not only the scope id), its
    # snapshot time as the snapshot list does (the user's time zone), and its links fit the table.
    assert (p.user or creds["username"]) in page.inner_text("[data-testid=backup-search-account]")
    picked = page.locator("[data-testid=backup-search-form] select[name=snapshot] option:checked").inner_text()
    assert page.inner_text("[data-testid=backup-search-time]").strip() == picked.split(" · ")[0].strip()
    assert page.evaluate("[...document.querySelectorAll('.table-wrap')].every(w => w.scrollWidth <= w.clientWidth)")
    with page.expect_download() as got:
        page.locator("[data-testid=backup-search-download]").first.click()
    name, data = _zip_member(got.value)
    if kind == "salesforce":
        record = json.loads(data)
        assert record["Name"] == "Tapirsessel GmbH" and record["Industry"] == "Retail", record
    else:
        assert name.endswith("Docs/angebot.txt"), name
        assert _sha(data) == _sha(seed["files"]["/Docs/angebot.txt"])

    # 4. Restore the picked item of the first snapshot (it is gone since) through the restore form: into
    # another user, or (Salesforce: one org per source) into another org, added as a second source.
    target = ""
    if p.other_org:
        page.goto(f"{base}/customers/{cid}/sources/new/?kind={kind}")
        _submit_source_form(page, p, control.credentials(p.service, p.other_org))
        page.wait_for_url(f"{base}/customers/{cid}/sources/")
        [target] = [t for t in _source_ids(page) if t != sid]

    def restore_item(name: str) -> str:
        """The restore wizard for the picked item; the job page's report once the job is done."""
        page.goto(f"{base}/customers/{cid}/sources/{sid}/backup/browse/?snapshot={first}&account={account}"
                  f"&path={folder}")
        page.check(f"[data-testid=backup-pick][value='{item_path}']")
        if p.other:
            page.fill("#restore-form input[name=to_account]", p.other)
        if target:
            page.select_option("[data-testid=backup-restore-to-source]", target)
        page.click("[data-testid=backup-restore-submit]")
        page.wait_for_load_state("load")
        assert page.inner_text("h1").strip() == TEXT[lang]["review"]
        assert page.inner_text("[data-testid=restore-review-count]").startswith("1 ")
        shot(name)
        page.click("[data-testid=restore-review-start]")
        page.wait_for_url("**/jobs/*/")
        _wait_job(page, base, page.url.removeprefix(base))
        assert page.inner_text("h1").strip() == TEXT[lang]["restore_job"]  # a name, not the job kind's id
        shot(name + "-job")
        return page.inner_text("[data-testid=job-state]")

    if target:  # the sandbox org lacks the object: the job page names the item that failed and why
        report = restore_item("6-restore-review-no-schema")
        assert TEXT[lang]["failed_one"] in page.inner_text("[data-testid=job-failed-items]"), report
        assert item_path in page.inner_text("[data-testid=job-failed-items]") and "404" in report, report
        assert control.items("salesforce", p.other_org, "Opportunity") == []
        control.call("salesforce/copy_schema", **{"from": p.tenant, "to": p.other_org})  # as a sandbox has it
    report = restore_item("6-restore-review")
    assert page.inner_text("[data-testid=job-report]").strip() == TEXT[lang]["restored"], report
    assert page.locator("[data-testid=job-failed-items]").count() == 0, report
    if kind == "salesforce":
        restored = control.items("salesforce", p.other_org, "Opportunity")
        assert [(r["content"]["Name"], r["content"]["Amount"]) for r in restored] == [("Deal 00", 1000)], restored
        assert control.items("salesforce", p.tenant, "Opportunity") == []  # the live org is left as it is
    else:
        got_files = {r["path"]: r["sha256"] for r in control.items(p.service, p.tenant, "file", p.other)}
        assert got_files.get("/Rechnungen/r00.txt") == _sha(seed["files"]["/Rechnungen/r00.txt"]), got_files

    # 5. The mass deletion is an alert on the customer's backup page.
    page.goto(f"{base}/customers/{cid}/backup/")
    alerts = page.inner_text("[data-testid=backup-alerts]")
    assert TEXT[lang]["mass"] in alerts, alerts
    # ... with a summary in the page's language (the detector's own detail is English only).
    assert page.inner_text("[data-testid=backup-alert-detail]").startswith(TEXT[lang]["deleted"] % BULK), alerts
    shot("7-alerts")

    # 6. The two snapshots compared. Salesforce: the changed field with old and new value, as CSV too; a file
    # platform's snapshots hold no records, which the page says instead of a bare "no differences".
    page.goto(snapshots_url)
    page.click("[data-testid=backup-compare-link]")
    page.select_option("[data-testid=backup-compare-form] select[name=snapshot]", first)
    page.select_option("[data-testid=backup-compare-form] select[name=other]", second)
    page.click("[data-testid=backup-compare-form] button[type=submit]")
    page.wait_for_load_state("load")
    assert page.locator("[data-testid=backup-compare-no-records]").count() == (0 if kind == "salesforce" else 1)
    if kind == "salesforce":
        changed = [r.strip().split("\t") for r in page.locator("[data-testid=backup-compare-rows] tbody tr").all_inner_texts()]
        assert ["Account", seed["acme"], "changed", "Industry", "Retail", "Banking"] in changed, changed
        shot("8-compare")
        with page.expect_download() as got:
            page.click("[data-testid=backup-compare-csv]")
        csv_text = Path(got.value.path()).read_text(encoding="utf-8")
        assert f"Account,{seed['acme']},changed,Industry,Retail,Banking" in csv_text.splitlines()

    assert errors == [], errors
    context.close()


if __name__ == "__main__" and "--seed" in sys.argv:
    sys.path[:0] = [str(REPO / "src"), str(REPO)]
    print(json.dumps(_seed()))
