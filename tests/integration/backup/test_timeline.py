"""Per-account snapshot timeline: each snapshot records a row per account with added/changed/removed
counted against the previous snapshot; departed accounts are marked; dashboard page, API and CLI."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from kustos.accounts.services import tokens
from kustos.backup.models import BackupAccount, BackupAccountSnapshot
from kustos.backup.services import plans, retention
from kustos.cli import registry as cli
from kustos.jobs.tasks import execute
from tests import factories
from tests.integration.web.session import sign_in

pytestmark = pytest.mark.django_db


def text(resp) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", resp.content.decode()))


def backup(plan) -> str:
    job = plans.run_now(plan, actor="test")
    execute(job.id)
    job.refresh_from_db()
    assert job.state == "succeeded", job.error
    return job.result["snapshot"]


def three_backups(source, cloud) -> tuple[str, str, str]:
    """anna: 4 items, then one changed, one added, one removed; ben: unchanged, then departed."""
    plan = plans.enable(source)
    first = backup(plan)
    cloud.put("anna", "d2", "file", "Documents", "notes.txt", b"changed notes\n")
    cloud.put("anna", "d4", "file", "Documents", "new.txt", b"a new file\n")
    cloud.remove("anna", "e1")
    second = backup(plan)
    del cloud.accounts["ben"]
    third = backup(plan)
    return first, second, third


def counts(snapshot: str, account: str) -> tuple:
    row = BackupAccountSnapshot.objects.get(snapshot_id=snapshot, account__scope_id=account)
    return row.status, row.items, row.added, row.changed, row.removed, row.failed


def test_rows_per_account_count_added_changed_removed_and_mark_departed(source, cloud):
    first, second, third = three_backups(source, cloud)
    # anna's first snapshot: the Documents folder + report, notes, mail, event (the folder is not counted).
    assert counts(first, "anna") == ("ok", 5, 4, 0, 0, 0)
    assert counts(first, "ben") == ("ok", 2, 2, 0, 0, 0)
    assert counts(second, "anna") == ("ok", 5, 1, 1, 1, 0)
    assert counts(second, "ben") == ("ok", 2, 0, 0, 0, 0)
    assert counts(third, "anna") == ("ok", 5, 0, 0, 0, 0)
    assert counts(third, "ben") == ("departed", 2, 0, 0, 0, 0)  # its data is carried over, marked
    assert BackupAccount.objects.get(scope_id="ben").departed_at is not None


def test_a_failed_item_is_counted_on_its_account(source, cloud):
    plan = plans.enable(source)
    cloud.failing.add("d2")
    snap = backup(plan)
    assert counts(snap, "anna")[0] == "failed" and counts(snap, "anna")[5] == 1
    assert counts(snap, "ben")[0] == "ok"


def test_timeline_page_lists_every_snapshot_of_the_account_with_links(source, cloud):
    first, second, third = three_backups(source, cloud)
    admin = sign_in(Client(), factories.user("admin@kunde.example", "customer_admin", customer=source.customer))
    base = f"/customers/{source.customer_id}"
    overview = admin.get(f"{base}/backup/").content.decode()
    assert f'href="{base}/sources/{source.id}/backup/accounts/anna/" data-testid="backup-account-link"' in overview

    resp = admin.get(f"{base}/sources/{source.id}/backup/accounts/anna/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert html.count('data-testid="backup-timeline-row"') == 3
    rows = re.findall(r'<tr data-testid="backup-timeline-row">(.*?)</tr>', html, re.S)
    cells = [re.findall(r'<td class="num">([^<]*)</td>', r) for r in rows]
    # newest first: items, size, added, changed, removed, failed
    assert [c[2:] for c in cells] == [["0", "0", "0", "0"], ["1", "1", "1", "0"], ["4", "0", "0", "0"]]
    assert f"?snapshot={second}&amp;account=anna" in html and f"?snapshot={second}&amp;account=anna#restore" in html
    assert "Departed" not in text(resp)

    page = text(admin.get(f"{base}/sources/{source.id}/backup/accounts/ben/"))
    assert "Departed on" in page and page.count("departed") >= 2  # the account and its newest row
    assert admin.get(f"{base}/sources/{source.id}/backup/accounts/nobody/").status_code == 404

    page = text(admin.get(f"{base}/sources/{source.id}/backup/accounts/"))
    assert "anna@kunde.example" in page and "departed" in page

    admin.post("/account/language/", {"language": "de"})
    page = text(admin.get(f"{base}/sources/{source.id}/backup/accounts/ben/", HTTP_ACCEPT_LANGUAGE="de"))
    assert "Verlauf der Momentaufnahmen" in page and "Ausgeschieden am" in page and "Hinzugefügt" in page


def test_timeline_in_the_api(source, cloud):
    first, second, third = three_backups(source, cloud)
    _, token = tokens.create(factories.user("pt@partner.example", "partner_tech", partner=source.customer.partner,
                                            totp=True), "t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    client = Client()
    base = f"/api/v1/sources/{source.id}/backup/accounts"
    listed = client.get(base, **auth).json()
    assert [(a["account"], a["status"]) for a in listed] == [("anna", "ok"), ("ben", "departed")]
    rows = client.get(f"{base}/anna/snapshots", **auth).json()
    assert [(r["snapshot"], r["added"], r["changed"], r["removed"]) for r in rows] == [
        (third, 0, 0, 0), (second, 1, 1, 1), (first, 4, 0, 0)]
    assert client.get(f"{base}/nobody/snapshots", **auth).status_code == 404


def test_timeline_in_the_cli(source, cloud, capsys):
    first, second, third = three_backups(source, cloud)
    capsys.readouterr()
    assert cli.run(["backup", "accounts", "--source", source.id, "--json"]) == 0
    accounts = json.loads(capsys.readouterr().out)
    assert {a["account"]: a["status"] for a in accounts} == {"anna": "ok", "ben": "departed"}
    assert cli.run(["backup", "timeline", "--source", source.id, "--account", "ben", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["snapshot"], r["status"]) for r in rows] == [(third, "departed"), (second, "ok"), (first, "ok")]
    assert cli.run(["backup", "timeline", "--source", source.id, "--account", "anna"]) == 0
    assert "+1 ~1 -1" in capsys.readouterr().out
    assert cli.run(["backup", "timeline", "--source", source.id, "--account", "zed", "--json"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == f"kustos: error: no backup account 'zed' in the plan of source {source.id}"


def test_forgotten_snapshots_leave_the_timeline_and_the_next_run_counts_against_what_is_kept(source, cloud):
    first, second, third = three_backups(source, cloud)
    plan = plans.enable(source, keep={"keep_last": 1})
    retention.apply(plan, actor="test")
    assert list(BackupAccountSnapshot.objects.filter(account__scope_id="anna").values_list("snapshot_id", flat=True)) \
        == [third]
    cloud.put("anna", "d5", "file", "", "later.txt", b"later\n")
    fourth = backup(plan)
    assert counts(fourth, "anna") == ("ok", 6, 1, 0, 0, 0)
