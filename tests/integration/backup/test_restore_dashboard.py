"""Dashboard restore: the browse page offers the restore form (English and German); posting it starts a
restore job whose report matches what fakecloud then stores; a kind without restore is refused in one line."""

from __future__ import annotations

import hashlib
import json
import re

import pytest
from django.test import Client

from kustos.accounts.services import tokens
from kustos.backup.models import BackupSnapshot
from kustos.backup.services import plans
from kustos.cli import registry as cli
from kustos.core import runtime
from kustos.jobs.models import Job
from kustos.jobs.tasks import execute
from tests import factories
from tests.integration.backup.test_restore_graph import OTHER, TENANT, USER, backup, fakecloud, setup_source
from tests.integration.web.session import sign_in

pytestmark = pytest.mark.django_db
__all__ = ["fakecloud"]  # the module-scoped fixture, shared


def text(resp) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", resp.content.decode()))


def test_restore_form_starts_a_job_that_restores_into_another_user(fakecloud, customer):
    control = fakecloud.control
    source, plan = setup_source(control, customer, ["onedrive"], {"/Docs/a.txt": b"alpha\n", "/b.txt": b"beta\n"})
    control.seed("ms", TENANT, OTHER, "file", "/x.txt", b"x\n")
    snap = BackupSnapshot.objects.get(id=backup(plan)["snapshot"])
    store = runtime.vault().store(customer.id)
    account = next(r["account"] for r in store.snapshots.ls(snap.id) if store.snapshots.lookup(snap.id, r["account"], "Docs"))
    tech = sign_in(Client(), factories.user("pt@restore.example", "partner_tech", partner=customer.partner, totp=True))
    browse = f"/customers/{customer.id}/sources/{source.id}/backup/browse/"

    page = tech.get(browse, {"snapshot": snap.id, "account": account, "path": "Docs"})
    assert page.status_code == 200 and 'data-testid="backup-restore"' in page.content.decode()
    assert f"Restores {account}/Docs from this snapshot." in text(page)
    assert "Wenn ein Element schon vorhanden ist" in text(tech.get(browse, {"snapshot": snap.id},
                                                                    HTTP_ACCEPT_LANGUAGE="de"))

    resp = tech.post(f"/customers/{customer.id}/sources/{source.id}/backup/restore/",
                     {"snapshot": snap.id, "account": account, "path": "Docs", "to_account": OTHER,
                      "to_path": "Zurück", "conflict": "copy"})
    job = Job.objects.get(kind="backup.restore")
    assert resp.status_code == 302 and resp["Location"] == f"/jobs/{job.id}/"
    execute(job.id)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED and job.result == {"restored": 1, "skipped": 0, "failed": []}
    got = {r["path"]: r["sha256"] for r in control.items("ms", TENANT, "file", OTHER)}
    assert got["/Zurück/Docs/a.txt"] == hashlib.sha256(b"alpha\n").hexdigest()

    resp = tech.post(f"/customers/{customer.id}/sources/{source.id}/backup/restore/",
                     {"snapshot": snap.id, "account": "onedrive:nobody", "conflict": "skip"}, follow=True)
    assert f"account &#x27;onedrive:nobody&#x27; is not in snapshot {snap.id}" in resp.content.decode()
    assert Job.objects.filter(kind="backup.restore").count() == 1
    assert sorted(r["path"] for r in control.items("ms", TENANT, "file", USER)) == ["/Docs/a.txt", "/b.txt"]


def test_a_kind_without_restore_is_refused(source, cloud):
    plan = plans.enable(source)
    execute(plans.run_now(plan, actor="test").id)
    snap = plan.snapshots.get()
    admin = sign_in(Client(), factories.user("admin@kunde.example", "customer_admin", customer=source.customer))
    resp = admin.post(f"/customers/{source.customer_id}/sources/{source.id}/backup/restore/",
                      {"snapshot": snap.id, "conflict": "skip"}, follow=True)
    assert "source kind &#x27;toybackup&#x27; cannot restore" in resp.content.decode()
    assert not Job.objects.filter(kind="backup.restore").exists()


def test_wizard_ticks_items_reviews_counts_and_restores_only_those(fakecloud, customer):
    control = fakecloud.control
    files = {"/Docs/a.txt": b"alpha\n", "/Docs/b.txt": b"beta beta\n", "/Docs/c.txt": b"gamma\n"}
    source, plan = setup_source(control, customer, ["onedrive"], files)
    control.seed("ms", TENANT, OTHER, "file", "/x.txt", b"x\n")
    snap = BackupSnapshot.objects.get(id=backup(plan)["snapshot"])
    store = runtime.vault().store(customer.id)
    account = next(r["account"] for r in store.snapshots.ls(snap.id) if store.snapshots.lookup(snap.id, r["account"], "Docs"))
    tech = sign_in(Client(), factories.user("pt2@restore.example", "partner_tech", partner=customer.partner, totp=True))
    base = f"/customers/{customer.id}/sources/{source.id}/backup/"

    page = tech.get(base + "browse/", {"snapshot": snap.id, "account": account, "path": "Docs"}).content.decode()
    assert page.count('data-testid="backup-pick"') == 3 and 'form="restore-form"' in page
    assert 'name="step" value="review"' in page

    form = {"snapshot": snap.id, "account": account, "path": "Docs", "item": ["Docs/a.txt", "Docs/b.txt"],
            "to_account": OTHER, "to_path": "Wizard", "conflict": "replace", "step": "review"}
    review = tech.post(base + "restore/", form)
    assert review.status_code == 200 and not Job.objects.filter(kind="backup.restore").exists()
    shown = text(review)
    assert "2 items, 16 bytes" in shown  # 6 + 10 bytes: only the ticked files
    assert f"{account}/Docs/a.txt" in shown and f"{account}/Docs/c.txt" not in shown
    assert f"{OTHER} / Wizard" in shown and "Replace it" in shown
    german = text(tech.post(base + "restore/", form, HTTP_ACCEPT_LANGUAGE="de"))
    assert "Wiederherstellung prüfen" in german and "Wiederherstellung starten" in german

    missing = text(tech.post(base + "restore/", {**form, "item": ["Docs/nope.txt"]}))
    assert "Not in this snapshot: Docs/nope.txt" in missing and "0 items" in missing

    confirm = {k: v for k, v in form.items() if k not in ("step", "path")}
    resp = tech.post(base + "restore/", confirm)
    job = Job.objects.get(kind="backup.restore")
    assert resp.status_code == 302 and resp["Location"] == f"/jobs/{job.id}/"
    assert job.params["paths"] == ["Docs/a.txt", "Docs/b.txt"]
    execute(job.id)
    job.refresh_from_db()
    assert job.result == {"restored": 2, "skipped": 0, "failed": []}
    got = {r["path"]: r["sha256"] for r in control.items("ms", TENANT, "file", OTHER)}
    assert {p: h for p, h in got.items() if p.startswith("/Wizard/")} == {
        f"/Wizard/Docs/{n}.txt": hashlib.sha256(files[f"/Docs/{n}.txt"]).hexdigest() for n in "ab"}


def test_preview_in_the_api_and_the_cli_restores_nothing(fakecloud, customer, capsys):
    control = fakecloud.control
    files = {"/P/a.txt": b"12345\n", "/P/b.txt": b"123\n", "/q.txt": b"q\n"}
    source, plan = setup_source(control, customer, ["onedrive"], files)
    snap = BackupSnapshot.objects.get(id=backup(plan)["snapshot"])
    store = runtime.vault().store(customer.id)
    account = next(r["account"] for r in store.snapshots.ls(snap.id) if store.snapshots.lookup(snap.id, r["account"], "P"))
    admin = factories.user("ca@preview.example", "customer_admin", customer=customer)
    _, token = tokens.create(admin, "t")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    resp = api.post(f"/api/v1/sources/{source.id}/backup/restore/preview",
                    {"snapshot": snap.id, "account": account, "paths": ["P", "gone"]}, content_type="application/json")
    assert resp.status_code == 200, resp.content
    assert resp.json() == {"items": 2, "bytes": 10, "accounts": {account: {"items": 2, "bytes": 10}}, "missing": ["gone"]}
    bad = api.post(f"/api/v1/sources/{source.id}/backup/restore/preview", {"snapshot": snap.id, "paths": ["P"]},
                   content_type="application/json")
    assert bad.status_code == 422 and "needs an account" in bad.content.decode()

    assert cli.run(["backup", "restore", snap.id, "--account", account, "--dry-run", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["items"] == 3
    assert not Job.objects.filter(kind="backup.restore").exists()
    assert sorted(r["path"] for r in control.items("ms", TENANT, "file", USER)) == ["/P/a.txt", "/P/b.txt", "/q.txt"]
