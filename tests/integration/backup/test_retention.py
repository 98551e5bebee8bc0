"""Retention per backup plan: forget the snapshots a plan's policy drops, delete their rows, prune
the backup pool; unlimited keeps all; dry run removes nothing; the daily job; CLI contract."""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from kustos.accounts.services import tokens
from kustos.audit.models import AuditEvent
from kustos.backup.models import BackupPlan, BackupSnapshot
from kustos.backup.services import browse, download, plans, retention
from kustos.cli import registry as cli
from kustos.core import runtime
from kustos.jobs.models import Job
from kustos.jobs.schedules import enqueue_backup_retention
from kustos.jobs.tasks import execute
from tests import factories
from tests.integration.web.session import sign_in

pytestmark = pytest.mark.django_db


def run(plan: BackupPlan) -> str:
    job = plans.run_now(plan, actor="test")
    execute(job.id)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, job.error
    return job.result["snapshot"]


def four_runs(plan: BackupPlan, cloud) -> list[str]:
    """Four snapshots, each with a new 200 kB version of anna's notes (so old ones hold own data)."""
    ids = []
    for _ in range(4):
        cloud.put("anna", "d2", "file", "Documents", "notes.txt", os.urandom(200_000))
        ids.append(run(plan))
    return ids


def stored(plan: BackupPlan) -> int:
    return runtime.vault().store(plan.customer_id).usage()["backup_stored_bytes"]


def kustos(capsys, *argv: str) -> tuple[int, object, str]:
    capsys.readouterr()
    code = cli.run(list(argv))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() and "--json" in argv else out), err


def test_keep_last_two_keeps_the_two_newest_which_still_list_and_download(source, cloud):
    plan = plans.enable(source, keep={"keep_last": 2})
    ids = four_runs(plan, cloud)
    latest_notes = cloud.accounts["anna"]["d2"].content
    before = stored(plan)

    result = retention.apply(plan, actor="test")

    assert sorted(result["removed"]) == sorted(ids[:2]) and result["kept"] == ids[:1:-1]
    assert sorted(BackupSnapshot.objects.filter(plan=plan).values_list("id", flat=True)) == sorted(ids[2:])
    assert sorted(r["id"] for r in runtime.vault().store(plan.customer_id).snapshots.list()) == sorted(ids[2:])
    after = stored(plan)
    assert after < before - 300_000 and result["freed_bytes"] == before - after
    for sid in ids[2:]:
        snap = browse.find(sid)
        assert {r["path"] for r in browse.ls(snap, "anna", "Documents")} == {
            "Documents/notes.txt", "Documents/report.pdf"}
        data = b"".join(download.zip_stream(snap, "anna", ""))
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            assert zf.read("anna/Documents/report.pdf") == cloud.accounts["anna"]["d1"].content
            assert len(zf.read("anna/Documents/notes.txt")) == 200_000
    with zipfile.ZipFile(io.BytesIO(b"".join(download.zip_stream(browse.find(ids[3]), "anna", "")))) as zf:
        assert hashlib.sha256(zf.read("anna/Documents/notes.txt")).digest() == hashlib.sha256(latest_notes).digest()
    report = runtime.vault().verify(plan.customer_id)
    assert report.ok, report.as_dict()
    event = AuditEvent.objects.filter(action="backup.retention", target=plan.id).get()
    assert event.detail["removed"] == result["removed"]
    # A fifth run after the prune still works and keeps its parent chain.
    cloud.put("anna", "d2", "file", "Documents", "notes.txt", os.urandom(1000))
    assert run(plan) not in ids


def test_unlimited_keeps_everything(source, cloud):
    plan = plans.enable(source)
    ids = four_runs(plan, cloud)
    before = stored(plan)
    result = retention.apply(plan, actor="test")
    assert result["removed"] == [] and sorted(result["kept"]) == sorted(ids) and result["freed_bytes"] == 0
    assert BackupSnapshot.objects.filter(plan=plan).count() == 4 and stored(plan) == before


def test_dry_run_removes_nothing(source, cloud):
    plan = plans.enable(source, keep={"keep_last": 1})
    ids = four_runs(plan, cloud)
    before = stored(plan)
    result = retention.apply(plan, dry_run=True, actor="test")
    assert sorted(result["removed"]) == sorted(ids[:3]) and result["kept"] == [ids[3]]
    assert BackupSnapshot.objects.filter(plan=plan).count() == 4 and stored(plan) == before
    assert len(runtime.vault().store(plan.customer_id).snapshots.list()) == 4


def test_validation_refuses_negative_counts_with_one_error(source, cloud):
    with pytest.raises(ValidationError, match=r"keep-last must be a whole number >= 0, not -1"):
        plans.enable(source, keep={"keep_last": -1})
    plan = plans.enable(source, keep={"keep_daily": 7, "keep_monthly": 12})
    plan.refresh_from_db()
    assert (plan.keep_last, plan.keep_daily, plan.keep_monthly) == (0, 7, 12)
    assert plans.public(plan)["keep_daily"] == 7
    # Omitted counts stay as they were.
    plan = plans.enable(source, keep={"keep_last": 3})
    plan.refresh_from_db()
    assert (plan.keep_last, plan.keep_daily) == (3, 7)


def test_the_daily_job_applies_every_plan_with_a_policy(source, cloud):
    plan = plans.enable(source, keep={"keep_last": 2})
    ids = four_runs(plan, cloud)
    assert enqueue_backup_retention.call_local() == 1
    job = Job.objects.get(kind="backup.retention")
    execute(job.id)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, job.error
    assert sorted(job.result["removed"]) == sorted(ids[:2])
    assert sorted(BackupSnapshot.objects.filter(plan=plan).values_list("id", flat=True)) == sorted(ids[2:])
    BackupPlan.objects.filter(id=plan.id).update(keep_last=0)
    assert enqueue_backup_retention.call_local() == 0  # unlimited plans get no job


def test_cli_enable_keep_and_forget_contract(source, cloud, capsys):
    code, out, err = kustos(capsys, "backup", "enable", "--source", source.id, "--keep-last", "2", "--json")
    assert code == 0, err
    plan = BackupPlan.objects.get(id=out["plan"])
    assert plan.keep_last == 2
    ids = four_runs(plan, cloud)

    code, dry, err = kustos(capsys, "backup", "forget", "--source", source.id, "--dry-run", "--json")
    assert code == 0, err
    assert set(dry) == {"removed", "kept", "freed_bytes"} and sorted(dry["removed"]) == sorted(ids[:2])
    assert BackupSnapshot.objects.filter(plan=plan).count() == 4

    code, out, err = kustos(capsys, "backup", "forget", "--source", source.id, "--json")
    assert code == 0, err
    assert sorted(out["removed"]) == sorted(ids[:2]) and sorted(out["kept"]) == sorted(ids[2:])
    assert out["freed_bytes"] > 300_000

    code, _, err = kustos(capsys, "backup", "enable", "--source", source.id, "--keep-daily", "-3", "--json")
    assert code == 1 and "keep-daily must be a whole number >= 0" in err and err.count("\n") == 1


def test_api_plan_retention_fields_and_forget(source, cloud):
    client = Client()
    _, token = tokens.create(factories.user("pt@partner.example", "partner_tech", partner=source.customer.partner,
                                            totp=True), "t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    base = f"/api/v1/sources/{source.id}/backup"
    resp = client.post(base, {"keep_last": 2, "keep_monthly": 6}, content_type="application/json", **auth)
    assert resp.status_code == 200 and resp.json()["keep_last"] == 2 and resp.json()["keep_monthly"] == 6
    assert client.get(base, **auth).json()["keep_yearly"] == 0
    resp = client.post(base, {"keep_weekly": -1}, content_type="application/json", **auth)
    assert resp.status_code == 422 and resp.json()["detail"] == "keep-weekly must be a whole number >= 0, not -1"

    plan = BackupPlan.objects.get(source=source)
    ids = four_runs(plan, cloud)
    resp = client.post(base + "/forget?dry_run=true", **auth)
    assert resp.status_code == 200 and sorted(resp.json()["removed"]) == sorted(ids[:2])
    assert BackupSnapshot.objects.filter(plan=plan).count() == 4
    resp = client.post(base + "/forget", **auth)
    assert resp.status_code == 200 and set(resp.json()) == {"removed", "kept", "freed_bytes"}
    assert sorted(resp.json()["kept"]) == sorted(ids[2:]) and resp.json()["freed_bytes"] > 300_000
    assert [s["id"] for s in client.get(base + "/snapshots", **auth).json()] == ids[:1:-1]


def test_dashboard_plan_form_sets_retention_in_english_and_german(source, cloud):
    tech = sign_in(Client(), factories.user("pt@partner.example", "partner_tech", partner=source.customer.partner,
                                            totp=True))
    form = f"/customers/{source.customer_id}/sources/{source.id}/backup/enable/"
    page = tech.get(form).content.decode()
    assert "Retention" in page and 'name="keep_last" min="0" value="0"' in page
    resp = tech.post(form, {"scope": "all", "services": ["files"], "interval_minutes": "480", "keep_last": "-2"})
    assert resp.status_code == 400 and "keep-last must be a whole number &gt;= 0, not -2" in resp.content.decode()
    resp = tech.post(form, {"scope": "all", "services": ["files"], "interval_minutes": "480", "keep_last": "2",
                            "keep_daily": "7", "keep_yearly": ""})
    assert resp.status_code == 302
    plan = BackupPlan.objects.get(source=source)
    assert (plan.keep_last, plan.keep_daily, plan.keep_weekly, plan.keep_yearly) == (2, 7, 0, 0)
    assert 'name="keep_daily" min="0" value="7"' in tech.get(form).content.decode()
    tech.post("/account/language/", {"language": "de"})
    german = tech.get(form, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Aufbewahrung" in german and "Einen Momentaufnahme pro Tag" not in german
    assert "Eine Momentaufnahme pro Tag behalten für (Tage)" in german
