"""The backup engine end to end with the toy backup source: first run stores everything, the next
stores only changes and references the rest, deletions, resets, failed items, cursors."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kustos.archive.models import Source
from kustos.backup.models import BackupAccount, BackupPlan, BackupSnapshot
from kustos.backup.services import browse, download, plans
from kustos.core import runtime
from kustos.jobs.models import Job
from kustos.jobs.schedules import enqueue_due_backups
from kustos.jobs.tasks import execute

pytestmark = pytest.mark.django_db


def start(plan: BackupPlan) -> Job:
    job = plans.run_now(plan, actor="test")
    execute(job.id)  # what the worker does once the creating transaction commits
    job.refresh_from_db()
    return job


def run(plan: BackupPlan) -> dict:
    job = start(plan)
    assert job.state == Job.State.SUCCEEDED, job.error
    return job.result


def paths(snap_id: str, plan: BackupPlan, account: str) -> dict[str, str]:
    store = runtime.vault().store(plan.customer_id)
    return {p: e.sha256 for p, e in store.snapshots.walk(snap_id, account)}


def test_enable_marks_backup_on_the_source_and_checks_services(source):
    plan = plans.enable(source, services=["files"])
    assert plan.services == ["files"] and plan.all_scopes and plan.interval_minutes == 480
    assert "backup" in Source.objects.get(id=source.id).services
    with pytest.raises(ValidationError, match="unknown backup service 'teams'"):
        plans.enable(source, services=["teams"])
    assert plans.enable(source, scopes=["anna"]).scopes == ["anna"]


def test_first_run_stores_all_second_only_changes(source, cloud):
    plan = plans.enable(source)
    first = run(plan)
    raw = sum(len(e.content) for a in cloud.accounts.values() for e in a.values() if e.kind != "folder")
    assert first["items"] == 7 and first["failed"] == []
    assert first["new_bytes"] >= 6_300_000  # random content does not compress: everything stored
    assert sorted(cloud.downloads) == ["c1", "d1", "d2", "d3", "e1", "m1"]
    one = paths(first["snapshot"], plan, "anna")
    assert one["Documents/report.pdf"] == hashlib.sha256(cloud.accounts["anna"]["d1"].content).hexdigest()

    cloud.downloads.clear()
    new = os.urandom(50_000)
    cloud.put("anna", "d2", "file", "Documents", "notes.txt", new)
    cloud.touch("ben", "d3")  # new eTag, same content (cTag): carried over without download
    second = run(plan)
    assert cloud.downloads == ["d2"]
    assert second["items"] == 7 and second["unchanged"] == 1 and second["stored"] == 1
    assert 50_000 <= second["new_bytes"] < 200_000 < raw  # only the change and a few tree nodes
    two = paths(second["snapshot"], plan, "anna")
    assert two["Documents/notes.txt"] == hashlib.sha256(new).hexdigest()
    assert two["Documents/report.pdf"] == one["Documents/report.pdf"]
    # The first snapshot still holds the old version.
    assert paths(first["snapshot"], plan, "anna")["Documents/notes.txt"] != two["Documents/notes.txt"]
    assert plan.snapshots.count() == 2 and BackupSnapshot.objects.get(id=second["snapshot"]).parent == first["snapshot"]


def test_deletions_remove_items_from_the_new_snapshot_only(source, cloud):
    plan = plans.enable(source)
    first = run(plan)
    cloud.remove("anna", "d1")
    cloud.remove("ben", "c1")
    second = run(plan)
    assert second["removed"] == 2 and second["items"] == 5
    assert "Documents/report.pdf" not in paths(second["snapshot"], plan, "anna")
    assert "Contacts/c1" not in paths(second["snapshot"], plan, "ben")
    assert "Documents/report.pdf" in paths(first["snapshot"], plan, "anna")


def test_a_reset_re_enumerates_without_downloading_unchanged_files(source, cloud):
    plan = plans.enable(source)
    run(plan)
    cloud.epoch += 1  # the source invalidated every cursor
    del cloud.accounts["anna"]["d2"]  # gone while the cursor was invalid: no deletion is reported
    cloud.downloads.clear()
    result = run(plan)
    assert "Documents/notes.txt" not in paths(result["snapshot"], plan, "anna")
    assert "Documents/report.pdf" in paths(result["snapshot"], plan, "anna")
    assert [d for d in cloud.downloads if d.startswith("d")] == []  # files referenced, not downloaded
    assert result["items"] == 6


def test_a_failing_item_still_gives_a_restorable_snapshot_listing_it(source, cloud):
    plan = plans.enable(source)
    first = run(plan)
    cloud.put("anna", "d1", "file", "Documents", "report.pdf", os.urandom(80_000))
    cloud.put("anna", "d4", "file", "Documents", "new.txt", b"new file")
    cloud.failing.add("d1")
    result = run(plan)
    assert result["complete"] is False
    assert [(f["account"], f["path"], f["source_id"]) for f in result["failed"]] == [
        ("anna", "Documents/report.pdf", "d1")]
    assert "broke off" in result["failed"][0]["error"]
    snap = BackupSnapshot.objects.get(id=result["snapshot"])
    assert snap.complete is False and snap.failed[0]["source_id"] == "d1"
    now = paths(result["snapshot"], plan, "anna")
    assert now["Documents/new.txt"] == hashlib.sha256(b"new file").hexdigest()
    assert now["Documents/report.pdf"] == paths(first["snapshot"], plan, "anna")["Documents/report.pdf"]
    assert BackupAccount.objects.get(plan=plan, scope_id="anna").last_status == "failed"
    # The scope's cursor was not committed: the next run fetches the item again and completes.
    plan.refresh_from_db()
    assert plan.cursors["anna"]["v"] < cloud.version and plan.cursors["ben"]["v"] == cloud.version
    cloud.failing.clear()
    third = run(plan)
    assert third["complete"] is True and third["failed"] == []
    assert paths(third["snapshot"], plan, "anna")["Documents/report.pdf"] == hashlib.sha256(
        cloud.accounts["anna"]["d1"].content).hexdigest()


def test_cursors_are_not_committed_when_the_run_fails(source, cloud):
    plan = plans.enable(source)
    cloud.broken_scope = "ben"
    job = start(plan)
    assert job.state == Job.State.FAILED and "the service is unavailable" in job.error
    plan.refresh_from_db()
    assert plan.cursors == {} and "unavailable" in plan.last_error
    assert plan.snapshots.count() == 0
    assert runtime.vault().store(plan.customer_id).snapshots.ids() == []
    cloud.broken_scope = ""
    assert run(plan)["items"] == 7


def test_departed_accounts_are_kept_and_marked(source, cloud):
    plan = plans.enable(source)
    run(plan)
    del cloud.accounts["ben"]
    result = run(plan)
    ben = BackupAccount.objects.get(plan=plan, scope_id="ben")
    assert ben.departed_at is not None
    assert "big.bin" in paths(result["snapshot"], plan, "ben")
    assert {r["account"]: r["status"] for r in browse.overview(plan.customer)} == {"anna": "ok", "ben": "departed"}


def test_selected_scopes_and_services_limit_the_run(source, cloud):
    plan = plans.enable(source, scopes=["anna"], services=["mail"])
    result = run(plan)
    assert [r["account"] for r in browse.ls(BackupSnapshot.objects.get(id=result["snapshot"]))] == ["anna"]
    assert sorted(paths(result["snapshot"], plan, "anna")) == ["Calendar/e1", "Mail/Inbox/m1"]


def test_ls_and_zip_download_of_a_subtree(source, cloud):
    plan = plans.enable(source)
    snap = BackupSnapshot.objects.get(id=run(plan)["snapshot"])
    assert [(r["account"], r["kind"]) for r in browse.ls(snap)] == [("anna", "account"), ("ben", "account")]
    rows = browse.ls(snap, "anna", "Documents")
    assert [(r["path"], r["kind"], r["size"]) for r in rows] == [
        ("Documents/notes.txt", "file", 1200), ("Documents/report.pdf", "file", 300_000)]
    whole = b"".join(download.zip_stream(snap))
    with zipfile.ZipFile(io.BytesIO(whole)) as zf:
        names = sorted(zf.namelist())
        assert names == ["anna/Calendar/e1.ics", "anna/Documents/notes.txt", "anna/Documents/report.pdf",
                         "anna/Mail/Inbox/m1.eml", "ben/Contacts/c1.vcf", "ben/big.bin"]
        assert zf.read("ben/big.bin") == cloud.accounts["ben"]["d3"].content
        assert zf.read("anna/Mail/Inbox/m1.eml") == cloud.accounts["anna"]["m1"].content
    pieces = list(download.zip_stream(snap, "ben"))
    assert len(pieces) > 3 and max(len(p) for p in pieces) < 4 * 1024 * 1024  # streamed, not one buffer
    with zipfile.ZipFile(io.BytesIO(b"".join(download.zip_stream(snap, "anna", "Documents")))) as zf:
        assert sorted(zf.namelist()) == ["anna/Documents/notes.txt", "anna/Documents/report.pdf"]


def test_due_plans_follow_the_interval_and_pause(source):
    plan = plans.enable(source)
    assert plans.due() == [plan]
    plans.pause(plan, True)
    assert plans.due() == []


def test_a_run_that_did_not_succeed_is_tried_again_before_the_interval(source):
    plan = plans.enable(source)
    started = timezone.now()
    BackupPlan.objects.filter(id=plan.id).update(last_run_at=started, last_success_at=started)
    assert plans.due(now=started + timedelta(minutes=plan.interval_minutes - 1)) == []
    assert plans.due(now=started + timedelta(minutes=plan.interval_minutes)) == [plan]
    # the next run fails (or its process is killed and the reaper fails its job): due again in 30 minutes
    BackupPlan.objects.filter(id=plan.id).update(last_run_at=started + timedelta(hours=1))
    assert plans.due(now=started + timedelta(hours=1, minutes=29)) == []
    assert plans.due(now=started + timedelta(hours=1, minutes=30)) == [plan]


def test_a_large_file_failing_mid_stream_leaves_a_consistent_vault(source, cloud):
    plan = plans.enable(source)
    cloud.put("ben", "d5", "file", "", "huge.bin", os.urandom(10 * 1024 * 1024))
    cloud.failing.add("d5")  # breaks off after 5 MiB, inside the chunked put
    first = run(plan)
    assert [f["path"] for f in first["failed"]] == ["huge.bin"]
    assert "huge.bin" not in paths(first["snapshot"], plan, "ben")
    cloud.failing.clear()
    second = run(plan)
    assert second["failed"] == [] and cloud.downloads.count("d5") == 2
    store = runtime.vault().store(plan.customer_id)
    entry = store.snapshots.lookup(second["snapshot"], "ben", "huge.bin")
    assert store.get(entry.id) == cloud.accounts["ben"]["d5"].content
    report = runtime.vault().verify(plan.customer_id)
    assert report.ok, report


def test_the_scheduler_starts_due_plans_once(source):
    plan = plans.enable(source)
    assert enqueue_due_backups.call_local() == 1
    assert Job.objects.filter(kind="backup.run", params__plan=plan.id).count() == 1
    assert enqueue_due_backups.call_local() == 0  # the queued run is not started twice


def test_a_renamed_file_moves_without_download(source, cloud):
    plan = plans.enable(source)
    run(plan)
    cloud.downloads.clear()
    content = cloud.accounts["anna"]["d1"].content
    cloud.put("anna", "d1", "file", "Archive", "report-2026.pdf", content)  # same id: moved and renamed
    result = run(plan)
    now = paths(result["snapshot"], plan, "anna")
    assert "Documents/report.pdf" not in now and now["Archive/report-2026.pdf"] == hashlib.sha256(content).hexdigest()
    assert cloud.downloads == [] and result["unchanged"] == 1 and result["items"] == 7
