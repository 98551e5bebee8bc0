"""Box backup end to end against fakecloud (a real process): the source added with the CLI
(``kustos source add box --settings-file F.json --endpoint URL``), back up, change, back up, restore the
FIRST snapshot into another user and compare every file's sha256 with fakecloud's; comments and metadata
kept beside the file in the snapshot; an expired events position makes a full re-enumeration whose
unchanged files are carried over by sha1; in-place restore with skip / copy / replace."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
from django.test import Client

from fakecloud.testing import FakeCloudProcess, running_fakecloud
from kustos.backup.models import BackupAlert, BackupSnapshot
from kustos.backup.services import plans
from kustos.core import runtime
from tests import factories
from tests.contract.box_fixtures import sha
from tests.integration.backup import box_helpers
from tests.integration.backup.box_helpers import account_of, backup, do_restore, snapshot_files
from tests.integration.web.session import sign_in

pytestmark = pytest.mark.django_db

ENTERPRISE = "kustos-box-ent"
USER = "lena@box-restore.example"
OTHER = "max@box-restore.example"


@pytest.fixture(scope="module")
def fakecloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


def files_of(control, account: str) -> dict[str, str]:
    return {row["path"]: row["sha256"] for row in control.items("box", ENTERPRISE, "file", account)}


def add_with_cli(control, customer, capsys, tmp_path):
    return box_helpers.add_with_cli(control, ENTERPRISE, customer, capsys, tmp_path)


def test_backup_change_backup_and_restore_first_snapshot_into_another_user(fakecloud, customer, capsys, tmp_path):
    control = fakecloud.control
    control.call("reset")
    files = {"/Docs/plan.txt": b"the plan\n" * 50, "/Docs/Sub/data.bin": bytes(range(256)) * 3000,
             "/top.md": b"# top\n", "/empty.txt": b""}
    for path, data in files.items():
        control.seed("box", ENTERPRISE, USER, "file", path, data,
                     meta={"comments": ["check this"], "metadata": {"contract": {"number": "V-1"}}}
                     if path == "/Docs/plan.txt" else None)
    control.seed("box", ENTERPRISE, OTHER, "file", "/mine.txt", b"max's own file\n")
    source = add_with_cli(control, customer, capsys, tmp_path)
    plan = plans.enable(source, services=["files"])

    first = BackupSnapshot.objects.get(id=backup(plan)["snapshot"])
    account = account_of(first, "Docs")
    expected = snapshot_files(first, account)
    assert expected == {p: sha(d) for p, d in files.items()}
    store = runtime.store_for(customer.id)
    entry = store.snapshots.lookup(first.id, account, "Docs/plan.txt")
    assert [c["message"] for c in entry.meta["comments"]] == ["check this"]
    assert entry.meta["metadata"][0]["number"] == "V-1"
    assert entry.meta["sha1"] == hashlib.sha1(files["/Docs/plan.txt"]).hexdigest()

    control.seed("box", ENTERPRISE, USER, "file", "/Docs/plan.txt", b"a changed plan\n")
    control.remove("box", ENTERPRISE, USER, "file", "/top.md")
    second = BackupSnapshot.objects.get(id=backup(plan)["snapshot"])
    assert second.id != first.id
    now = snapshot_files(second, account)
    assert now["/Docs/plan.txt"] == sha(b"a changed plan\n") and "/top.md" not in now
    assert now["/Docs/Sub/data.bin"] == expected["/Docs/Sub/data.bin"]

    control.call("box/expire_events", tenant=ENTERPRISE)  # the next run re-enumerates everything ...
    walked = len([r for r in control.stats()["requests"] if r["path"] == "/2.0/folders/0/items"])
    downloads = len([r for r in control.stats()["requests"] if r["path"].startswith("/d/1/")])
    third = backup(plan)
    requests = control.stats()["requests"]
    assert len([r for r in requests if r["path"] == "/2.0/folders/0/items"]) == walked + 2  # both users
    assert len([r for r in requests if r["path"].startswith("/d/1/")]) == downloads  # ... by sha1: no download
    assert third["stored"] == 0 and third["unchanged"] == len(now) + 1  # and Max's own file
    assert snapshot_files(BackupSnapshot.objects.get(id=third["snapshot"]), account) == now

    report = do_restore(first, account=account, to_account=OTHER)
    assert (report["restored"], report["skipped"], report["failed"]) == (len(files), 0, [])
    assert report["reapplied"] == {"comments": 1, "metadata": 1, "collaborations": 0, "templates": 0}
    got = files_of(control, OTHER)
    assert {p: got.get(p) for p in expected} == expected  # every file byte for byte
    assert got["/mine.txt"] == sha(b"max's own file\n")


def test_in_place_restore_with_skip_copy_and_replace(fakecloud, customer, capsys, tmp_path):
    control = fakecloud.control
    control.call("reset")
    for path, data in {"/Docs/plan.txt": b"the plan\n", "/Docs/notes.txt": b"notes\n", "/top.md": b"# top\n"}.items():
        control.seed("box", ENTERPRISE, USER, "file", path, data)
    plan = plans.enable(add_with_cli(control, customer, capsys, tmp_path), services=["files"])
    snap = BackupSnapshot.objects.get(id=backup(plan)["snapshot"])
    account = account_of(snap, "Docs")
    control.seed("box", ENTERPRISE, USER, "file", "/Docs/plan.txt", b"overwritten by ransomware\n")
    control.remove("box", ENTERPRISE, USER, "file", "/top.md")

    assert do_restore(snap, conflict="skip") == {"restored": 1, "skipped": 2, "failed": []}
    now = files_of(control, USER)
    assert now["/top.md"] == sha(b"# top\n") and now["/Docs/plan.txt"] == sha(b"overwritten by ransomware\n")

    assert do_restore(snap, account=account, paths=["Docs"], conflict="copy") == {
        "restored": 2, "skipped": 0, "failed": []}
    now = files_of(control, USER)
    assert now["/Docs/plan.txt"] == sha(b"overwritten by ransomware\n")
    assert now["/Docs/plan (1).txt"] == sha(b"the plan\n") and now["/Docs/notes (1).txt"] == sha(b"notes\n")

    assert do_restore(snap, account=account, paths=["Docs/plan.txt"], conflict="replace") == {
        "restored": 1, "skipped": 0, "failed": []}
    assert files_of(control, USER)["/Docs/plan.txt"] == sha(b"the plan\n")


def test_mass_deletion_in_box_raises_an_anomaly_alert(fakecloud, customer, capsys, tmp_path):
    control = fakecloud.control
    control.call("reset")
    for i in range(70):
        control.seed("box", ENTERPRISE, USER, "file", f"/Invoices/r{i}.txt", f"invoice {i}\n".encode())
    plan = plans.enable(add_with_cli(control, customer, capsys, tmp_path), services=["files"])
    backup(plan)
    assert not BackupAlert.objects.filter(plan=plan).exists()
    for i in range(60):
        control.remove("box", ENTERPRISE, USER, "file", f"/Invoices/r{i}.txt")
    backup(plan)
    alert = BackupAlert.objects.get(plan=plan)
    assert alert.kind == "mass_deletion" and alert.detail.startswith("60 of ")


def test_large_file_is_restored_through_a_chunked_upload_session(fakecloud, customer, capsys, tmp_path):
    control = fakecloud.control
    control.call("reset")
    big = (bytes(range(251)) * 100_000)[:21_000_017]  # above Box's 20 MB session minimum, not a part multiple
    control.seed("box", ENTERPRISE, USER, "file", "/Media/big.bin", big)
    control.seed("box", ENTERPRISE, OTHER, "file", "/mine.txt", b"x\n")
    plan = plans.enable(add_with_cli(control, customer, capsys, tmp_path), services=["files"])
    snap = BackupSnapshot.objects.get(id=backup(plan)["snapshot"])
    account = account_of(snap, "Media")
    before = len([r for r in control.stats()["requests"] if r["path"].startswith("/api/2.0/files/upload_sessions")])

    assert do_restore(snap, account=account, to_account=OTHER) == {"restored": 1, "skipped": 0, "failed": []}
    assert files_of(control, OTHER)["/Media/big.bin"] == sha(big)
    sessions = [r for r in control.stats()["requests"] if r["path"].startswith("/api/2.0/files/upload_sessions")]
    assert len(sessions) - before == 1 + 3 + 1  # create, three 8 MiB-or-less parts, commit

    control.seed("box", ENTERPRISE, USER, "file", "/Media/big.bin", b"encrypted\n")
    assert do_restore(snap, account=account, conflict="replace") == {"restored": 1, "skipped": 0, "failed": []}
    assert files_of(control, USER)["/Media/big.bin"] == sha(big)  # a new version through a session
    assert do_restore(snap, account=account, conflict="copy") == {"restored": 1, "skipped": 0, "failed": []}
    assert files_of(control, USER)["/Media/big (1).bin"] == sha(big)


def test_dashboard_offers_box_with_setup_steps_in_english_and_german(customer):
    admin = sign_in(Client(), factories.user("admin@box-kunde.example", "customer_admin", customer=customer))
    url = f"/customers/{customer.id}/sources/new/?kind=box"
    page = admin.get(url).content.decode()
    assert 'data-testid="kind-box"' in page and 'name="enterprise_id"' in page and 'name="client_secret"' in page
    assert "Box Developer Console" in page and "Make API calls using the as-user header" in page
    assert 'name="endpoint"' not in page  # the emulator/API endpoint is for the API, CLI and settings files
    admin.cookies.load({"django_language": "de"})
    german = admin.get(url, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Plattform-App erstellen" in german and "autorisiert ein Box-Administrator die App" in german


def test_a_trashed_folder_leaves_the_next_snapshot_with_everything_below_it(fakecloud, customer, capsys, tmp_path):
    control = fakecloud.control
    control.call("reset")
    for path in ("/Old/a.txt", "/Old/Sub/b.txt", "/keep.txt"):
        control.seed("box", ENTERPRISE, USER, "file", path, path.encode())
    plan = plans.enable(add_with_cli(control, customer, capsys, tmp_path), services=["files"])
    first = BackupSnapshot.objects.get(id=backup(plan)["snapshot"])
    account = account_of(first, "Old")
    assert set(snapshot_files(first, account)) == {"/Old/a.txt", "/Old/Sub/b.txt", "/keep.txt"}
    control.remove("box", ENTERPRISE, USER, "file", "/Old")  # one ITEM_TRASH event for the folder
    second = BackupSnapshot.objects.get(id=backup(plan)["snapshot"])
    assert set(snapshot_files(second, account)) == {"/keep.txt"}
    store = runtime.store_for(customer.id)
    assert store.snapshots.lookup(second.id, account, "Old") is None


def test_a_download_still_not_ready_after_the_bound_fails_the_item_and_the_next_run_gets_it(
        fakecloud, customer, capsys, tmp_path):
    control = fakecloud.control
    control.call("reset")
    control.seed("box", ENTERPRISE, USER, "file", "/ok.txt", b"ok\n")
    fresh = b"just uploaded\n" * 100
    control.seed("box", ENTERPRISE, USER, "file", "/Media/fresh.bin", fresh, meta={"not_ready": 9, "retry_after": 0.05})
    plan = plans.enable(add_with_cli(control, customer, capsys, tmp_path), services=["files"])
    first = backup(plan)
    assert [(f["path"], "202" in f["error"]) for f in first["failed"]] == [("Media/fresh.bin", True)]
    snap = BackupSnapshot.objects.get(id=first["snapshot"])
    account = account_of(snap, "Media")
    assert snapshot_files(snap, account) == {"/ok.txt": sha(b"ok\n")}
    second = backup(plan)  # the scope's cursor was held back: everything again, the content is ready now
    assert second["failed"] == []
    assert snapshot_files(BackupSnapshot.objects.get(id=second["snapshot"]), account) == {
        "/ok.txt": sha(b"ok\n"), "/Media/fresh.bin": sha(fresh)}
