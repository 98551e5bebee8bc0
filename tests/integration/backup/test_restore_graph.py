"""Restore against fakecloud (a real process): back up OneDrive files and mail of one user, change files,
back up again, restore the FIRST snapshot into another user and compare every item's sha256 with
fakecloud's; restore in place with skip / copy / replace; a large file goes through an upload session;
the CLI and REST contracts of `backup restore`."""

from __future__ import annotations

import hashlib
import json
import tracemalloc
from collections import Counter
from collections.abc import Iterator

import pytest
from django.test import Client

from fakecloud.testing import FakeCloudProcess, running_fakecloud
from kustos.accounts.services import tokens
from kustos.archive.services import sources
from kustos.audit.models import AuditEvent
from kustos.backup.models import BackupSnapshot
from kustos.backup.services import plans, restore
from kustos.cli import registry as cli
from kustos.core import runtime
from kustos.jobs.models import Job
from kustos.jobs.tasks import execute
from tests import factories

pytestmark = pytest.mark.django_db

TENANT = "kustos-restore.onmicrosoft.com"
USER = "lena@kustos-restore.onmicrosoft.com"
OTHER = "max@kustos-restore.onmicrosoft.com"
BIG = 50 * 1024 * 1024 + 12345  # > the 4 MiB simple-upload limit: an upload session; not a multiple of 320 KiB
MIME = [(b"From: Max <max@example.org>\r\nTo: " + USER.encode() + b"\r\nSubject: Angebot %d\r\n"
         b"Message-ID: <angebot-%d@example.org>\r\nDate: Mon, 1 Jun 2026 10:00:00 +0000\r\n\r\nHallo Lena %d\r\n")
        % (i, i, i) for i in range(3)]


@pytest.fixture(scope="module")
def fakecloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def backup(plan) -> dict:
    job = plans.run_now(plan, actor="test")
    execute(job.id)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, job.error
    return job.result


def do_restore(snap: BackupSnapshot, **options) -> dict:
    job = restore.request(snap, actor="test", **options)
    execute(job.id)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, job.error
    return job.result


def files_of(control, account: str) -> dict[str, str]:
    return {row["path"]: row["sha256"] for row in control.items("ms", TENANT, "file", account)}


def setup_source(control, customer, services, files):
    control.call("reset")
    settings = control.credentials("ms", TENANT)
    for path, data in files.items():
        control.seed("ms", TENANT, USER, "file", path, data)
    config = {k: v for k, v in settings.items() if k != "client_secret"}
    source = sources.add(customer, "graph", config, settings["client_secret"], actor="test")
    return source, plans.enable(source, services=services)


def user_id_of(snap: BackupSnapshot, folder: str) -> str:
    """The id of the user whose OneDrive account holds ``folder``."""
    store = runtime.vault().store(snap.plan.customer_id)
    return next(r["account"].partition(":")[2] for r in store.snapshots.ls(snap.id)
                if r["account"].startswith("onedrive:") and store.snapshots.lookup(snap.id, r["account"], folder))


def user_id(snap: BackupSnapshot) -> str:
    return user_id_of(snap, "Docs")


def snapshot_files(snap: BackupSnapshot, user: str) -> dict[str, str]:
    store = runtime.vault().store(snap.plan.customer_id)
    out = {}
    for row in store.snapshots.ls(snap.id):
        if row["account"] == f"onedrive:{user}":
            out.update({"/" + p: e.sha256 for p, e in store.snapshots.walk(snap.id, row["account"])
                        if e.kind == "file"})
    return out


def test_first_snapshot_restored_into_another_user_is_byte_identical(fakecloud, customer):
    control = fakecloud.control
    files = {"/Docs/plan.txt": b"the plan\n" * 50, "/Docs/Sub/data.bin": bytes(range(256)) * 3000,
             "/top.md": b"# top\n", "/empty.txt": b""}
    source, plan = setup_source(control, customer, ["onedrive", "mail"], files)
    control.seed("ms", TENANT, USER, "file", "/Big/large.bin", b"", meta={"size": BIG, "seed": 7})
    for mime in MIME:
        control.seed("ms", TENANT, USER, "mail", "Inbox", mime)
    control.seed("ms", TENANT, OTHER, "file", "/mine.txt", b"max's own file\n")  # the other user exists
    control.seed("ms", TENANT, OTHER, "mail", "Inbox", b"Subject: own\r\n\r\nmax's own mail\r\n")
    first = BackupSnapshot.objects.get(id=backup(plan)["snapshot"])
    lena = user_id(first)
    expected = snapshot_files(first, lena)
    big_sha = files_of(control, USER)["/Big/large.bin"]
    assert expected["/Big/large.bin"] == big_sha and len(expected) == 5

    control.seed("ms", TENANT, USER, "file", "/Docs/plan.txt", b"a changed plan\n")
    control.call("remove", service="ms", tenant=TENANT, account=USER, kind="file", path="/top.md")
    second = backup(plan)
    assert second["snapshot"] != first.id
    assert snapshot_files(BackupSnapshot.objects.get(id=second["snapshot"]), lena)["/Docs/plan.txt"] == sha(
        b"a changed plan\n")
    mail_before = Counter(r["sha256"] for r in control.items("ms", TENANT, "mail", OTHER))

    report = do_restore(first, account=lena, to_account=OTHER)  # the user's OneDrive and mailbox
    assert report == {"restored": 5 + 3, "skipped": 0, "failed": []}
    got = files_of(control, OTHER)
    assert {p: got.get(p) for p in expected} == expected  # every file, the 50 MB one included
    assert got["/mine.txt"] == sha(b"max's own file\n")
    mail_after = Counter(r["sha256"] for r in control.items("ms", TENANT, "mail", OTHER))
    assert mail_after - mail_before == Counter(sha(m) for m in MIME)  # MIME byte for byte


def test_in_place_restore_with_skip_copy_and_replace(fakecloud, customer):
    control = fakecloud.control
    files = {"/Docs/plan.txt": b"the plan\n", "/Docs/notes.txt": b"notes\n", "/top.md": b"# top\n"}
    source, plan = setup_source(control, customer, ["onedrive"], files)
    snap = BackupSnapshot.objects.get(id=backup(plan)["snapshot"])
    control.seed("ms", TENANT, USER, "file", "/Docs/plan.txt", b"overwritten by ransomware\n")
    control.call("remove", service="ms", tenant=TENANT, account=USER, kind="file", path="/top.md")

    assert do_restore(snap, conflict="skip") == {"restored": 1, "skipped": 2, "failed": []}
    now = files_of(control, USER)
    assert now["/top.md"] == sha(b"# top\n") and now["/Docs/plan.txt"] == sha(b"overwritten by ransomware\n")

    [account] = [a for a in runtime.vault().store(customer.id).snapshots.ls(snap.id)]
    report = do_restore(snap, account=account["account"], paths=["Docs"], conflict="copy")
    assert report == {"restored": 2, "skipped": 0, "failed": []}
    now = files_of(control, USER)
    assert now["/Docs/plan.txt"] == sha(b"overwritten by ransomware\n")
    assert now["/Docs/plan 1.txt"] == sha(b"the plan\n") and now["/Docs/notes 1.txt"] == sha(b"notes\n")

    report = do_restore(snap, account=account["account"], paths=["Docs/plan.txt"], conflict="replace")
    assert report == {"restored": 1, "skipped": 0, "failed": []}
    assert files_of(control, USER)["/Docs/plan.txt"] == sha(b"the plan\n")

    report = do_restore(snap, account=account["account"], paths=["Docs", "Nowhere"], to_path="Restored",
                        conflict="skip")
    assert report["restored"] == 2 and report["failed"] == [
        {"path": f"{account['account']}/Nowhere", "error": "not in the snapshot"}]
    now = files_of(control, USER)
    assert now["/Restored/Docs/plan.txt"] == sha(b"the plan\n") and now["/Restored/Docs/notes.txt"] == sha(b"notes\n")


def kustos(capsys, *argv: str) -> tuple[int, object, str]:
    capsys.readouterr()
    code = cli.run(list(argv))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() and "--json" in argv else out), err


def test_restore_cli_and_api_contract(fakecloud, customer, capsys):
    control = fakecloud.control
    source, plan = setup_source(control, customer, ["onedrive"], {"/a.txt": b"alpha\n", "/b/c.txt": b"gamma\n"})
    control.seed("ms", TENANT, OTHER, "file", "/x.txt", b"x\n")
    snap_id = backup(plan)["snapshot"]
    store = runtime.vault().store(customer.id)
    account = next(r["account"] for r in store.snapshots.ls(snap_id) if store.snapshots.lookup(snap_id, r["account"], "b"))

    code, out, err = kustos(capsys, "backup", "restore", snap_id, "--account", account, "--path", "b",
                            "--to-account", OTHER, "--conflict", "copy", "--json")
    assert code == 0, err
    assert out == {"restored": 1, "skipped": 0, "failed": []}
    assert files_of(control, OTHER)["/b/c.txt"] == sha(b"gamma\n")
    code, out, err = kustos(capsys, "backup", "restore", snap_id, "--account", account, "--path", "a.txt",
                            "--path", "b", "--to-account", OTHER, "--json")
    assert (code, out) == (0, {"restored": 1, "skipped": 1, "failed": []}), err  # b/c.txt is there already
    with pytest.raises(SystemExit) as exited:
        cli.run(["backup", "restore", snap_id, "--conflict", "merge", "--json"])
    assert exited.value.code == 2 and "invalid choice: 'merge'" in capsys.readouterr().err

    code, _, err = kustos(capsys, "backup", "restore", snap_id, "--path", "b", "--json")
    assert code == 1 and err.strip() == "kustos: error: a path needs an account (--account)"
    code, _, err = kustos(capsys, "backup", "restore", snap_id, "--account", "onedrive:nobody", "--json")
    assert code == 1 and f"account 'onedrive:nobody' is not in snapshot {snap_id}" in err and err.count("\n") == 1
    code, _, err = kustos(capsys, "backup", "restore", "20260101T000000000000-deadbeef", "--json")
    assert code == 1 and "no backup snapshot" in err

    client = Client()
    _, token = tokens.create(factories.user("pt@restore.example", "partner_tech", partner=customer.partner,
                                            totp=True), "t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    url = f"/api/v1/sources/{source.id}/backup/restore"
    resp = client.post(url, {"snapshot": snap_id, "conflict": "skip"}, content_type="application/json", **auth)
    assert resp.status_code == 202 and resp.json()["kind"] == "backup.restore"
    execute(resp.json()["id"])
    job = client.get(f"/api/v1/jobs/{resp.json()['id']}", **auth).json()
    assert job["state"] == "succeeded" and job["result"] == {"restored": 0, "skipped": 3, "failed": []}  # both users
    resp = client.post(url, {"snapshot": snap_id, "conflict": "merge"}, content_type="application/json", **auth)
    assert resp.status_code == 422
    resp = client.post(url, {"snapshot": snap_id, "paths": ["a.txt"]}, content_type="application/json", **auth)
    assert resp.status_code == 422 and resp.json()["detail"] == "a path needs an account (--account)"
    resp = client.post(url, {"snapshot": "nope"}, content_type="application/json", **auth)
    assert resp.status_code == 404


ICS = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:kickoff-1\r\nSUMMARY:Kickoff\r\n"
       b"DTSTART:20260601T090000Z\r\nDTEND:20260601T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
VCF = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Anna Muster\r\nN:Muster;Anna;;;\r\nEMAIL:anna@example.org\r\nEND:VCARD\r\n"


def test_events_contacts_and_tasks_restore_into_another_user_and_in_place(fakecloud, customer):
    control = fakecloud.control
    source, plan = setup_source(control, customer, ["calendar", "contacts", "tasks"], {})
    control.seed("ms", TENANT, USER, "event", "Calendar", ICS)
    control.seed("ms", TENANT, USER, "contact", "Contacts", VCF)
    control.seed("ms", TENANT, USER, "task", "Einkauf", json.dumps({"title": "Milch kaufen"}).encode())
    control.seed("ms", TENANT, OTHER, "contact", "Contacts", b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Max\r\nEND:VCARD\r\n")
    snap = BackupSnapshot.objects.get(id=backup(plan)["snapshot"])
    store = runtime.vault().store(customer.id)
    lena = next(r["account"].partition(":")[2] for r in store.snapshots.ls(snap.id)
                if r["account"].startswith("tasks:") and any(store.snapshots.walk(snap.id, r["account"], "Einkauf")))

    def containers(account: str) -> Counter:
        return Counter((kind, row["path"].rpartition("/")[0]) for kind in ("event", "contact", "task")
                       for row in control.items("ms", TENANT, kind, account))

    before = containers(OTHER)
    assert do_restore(snap, account=lena, to_account=OTHER) == {"restored": 3, "skipped": 0, "failed": []}
    assert containers(OTHER) - before == Counter({("event", "Calendar"): 1, ("contact", "Contacts"): 1,
                                                  ("task", "Einkauf"): 1})  # the To Do list was created

    assert do_restore(snap, account=lena, conflict="skip") == {"restored": 0, "skipped": 3, "failed": []}
    assert do_restore(snap, account=lena, conflict="replace") == {"restored": 0, "skipped": 3, "failed": []}
    assert do_restore(snap, account=lena, conflict="copy") == {"restored": 3, "skipped": 0, "failed": []}
    assert containers(USER) == Counter({("event", "Calendar"): 2, ("contact", "Contacts"): 2, ("task", "Einkauf"): 2})


def test_a_large_file_restores_through_an_upload_session_with_flat_memory(fakecloud, customer):
    control = fakecloud.control
    source, plan = setup_source(control, customer, ["onedrive"], {"/small.txt": b"small\n"})
    control.seed("ms", TENANT, USER, "file", "/Big/large.bin", b"", meta={"size": BIG, "seed": 11})
    snap = BackupSnapshot.objects.get(id=backup(plan)["snapshot"])
    lena = user_id_of(snap, "Big")
    tracemalloc.start()
    try:
        report = do_restore(snap, account=f"onedrive:{lena}", paths=["Big/large.bin"], conflict="copy")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report == {"restored": 1, "skipped": 0, "failed": []}
    files = files_of(control, USER)
    assert files["/Big/large 1.bin"] == files["/Big/large.bin"]
    assert peak < 24 * 1024 * 1024, f"restoring a {BIG} byte file peaked at {peak} bytes"
    events = AuditEvent.objects.filter(action__startswith="backup.restore", target=snap.id).order_by("seq")
    assert [(e.action, e.detail.get("conflict"), e.detail.get("restored")) for e in events] == [
        ("backup.restore", "copy", None), ("backup.restore.done", None, 1)]


def test_sharepoint_library_files_restore_in_place_and_into_another_site(fakecloud, customer):
    control = fakecloud.control
    source, plan = setup_source(control, customer, ["sharepoint"], {})
    control.seed("ms", TENANT, USER, "file", "/Specs/a.txt", b"spec a\n", meta={"site": "projekte"})
    control.seed("ms", TENANT, USER, "file", "/b.txt", b"b\n", meta={"site": "projekte"})
    control.seed("ms", TENANT, USER, "file", "/old.txt", b"old\n", meta={"site": "archiv"})
    snap = BackupSnapshot.objects.get(id=backup(plan)["snapshot"])
    store = runtime.vault().store(customer.id)
    accounts = {r["account"]: [p for p, e in store.snapshots.walk(snap.id, r["account"]) if e.kind == "file"]
                for r in store.snapshots.ls(snap.id)}
    projekte = next(a for a, paths in accounts.items() if any(p.endswith("Specs/a.txt") for p in paths))
    archiv = next(a for a, paths in accounts.items() if any(p.endswith("old.txt") for p in paths))
    library = next(p for p in accounts[projekte] if p.endswith("Specs/a.txt")).split("/")[0]

    def site_files(site: str) -> dict[str, str]:
        return {r["path"].split("/", 3)[3]: r["sha256"] for r in control.items("ms", TENANT, "file")
                if r["path"].startswith(f"sites/{site}/")}

    control.seed("ms", TENANT, USER, "file", "/Specs/a.txt", b"encrypted!\n", meta={"site": "projekte"})
    assert do_restore(snap, account=projekte, conflict="replace") == {"restored": 2, "skipped": 0, "failed": []}
    assert site_files("projekte")["Specs/a.txt"] == sha(b"spec a\n")

    report = do_restore(snap, account=projekte, paths=[f"{library}/Specs"], to_account=archiv.partition(":")[2],
                        to_path="Aus Projekte")
    assert report == {"restored": 1, "skipped": 0, "failed": []}
    assert site_files("archiv") == {"old.txt": sha(b"old\n"), "Aus Projekte/Specs/a.txt": sha(b"spec a\n")}
