"""Dropbox sharing metadata and file properties through backup and restore, against fakecloud (a
real process): a shared folder two members mounted is backed up once; files keep their members,
links and property groups; the team's templates are an item of the team scope. After sharing and
properties change, a second backup holds the new state; restoring the FIRST snapshot into another
member re-applies the members and properties it held (compared with the emulator's), byte for
byte, and reports what could not be re-applied; into a team folder the bytes come back and the
folder members are reported as not re-applied. A refresh-token connection backs up too."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from fakecloud.dropbox.hashing import content_hash
from kustos.backup.models import BackupSnapshot
from kustos.backup.services import plans
from kustos.core import runtime
from kustos.jobs.models import Job
from tests import factories
from tests.contract.dropbox_fixtures import DropboxApi, files_of, module_fakecloud, seed, sha
from tests.integration.backup.dropbox_helpers import (
    TEAM,
    add_source,
    backup,
    do_restore,
    entry_meta,
    snapshot_files,
)
from tests.integration.web.session import sign_in

pytestmark = pytest.mark.django_db

NINA = "nina@kustos-dropbox.example"
MAX = "max@kustos-dropbox.example"
LENA = "lena@kustos-dropbox.example"
GUEST = "guest@partner.example"
ADMIN = f"admin@{TEAM}"  # the team's first member (fakecloud makes them its admin)
fakecloud = module_fakecloud()


def accounts(snap: BackupSnapshot) -> list[str]:
    return [r["account"] for r in runtime.store_for(snap.plan.customer_id).snapshots.ls(snap.id)]


def test_sharing_and_properties_survive_backup_change_backup_and_restore(fakecloud, customer, capsys, tmp_path):
    control = fakecloud.control
    control.call("reset")
    source = add_source(control, customer, capsys, tmp_path)
    api = DropboxApi(control.credentials("dropbox", TEAM))
    for email in (MAX, LENA):  # creates the members
        control.seed("dropbox", TEAM, email, "file", "/.keep", b"")
        control.remove("dropbox", TEAM, email, "file", "/.keep")
    contract = b"%PDF-1.7 contract\n" * 200
    seed(control, TEAM, NINA, {"/Verträge/v.pdf": contract, "/notes.txt": b"notes\n",
                               "/Team-Projekt/plan.md": b"# plan\n", "/Team-Projekt/Daten/d.bin": bytes(range(256))})
    control.seed("dropbox", TEAM, "teamfolder:Ablage", "file", "/alt.txt", b"old\n")
    folder_id = api.share(NINA, "/Team-Projekt")
    api.add_folder_member(NINA, folder_id, MAX, "editor")
    api.add_folder_member(NINA, folder_id, GUEST, "viewer")
    api.mount(MAX, folder_id)
    security = api.template("Security", "Classification")
    api.set_properties(NINA, "/Verträge/v.pdf", security, Classification="confidential")
    api.add_file_member(NINA, "/Verträge/v.pdf", MAX, "viewer")
    api.add_file_member(NINA, "/Verträge/v.pdf", GUEST, "editor")
    api.link(NINA, "/Verträge/v.pdf", "team_only")

    plan = plans.enable(source, services=["files"])
    first = BackupSnapshot.objects.get(id=backup(plan)["snapshot"])
    nina = f"files:{api.member_id(NINA)}"
    shared = f"files:shared:{folder_id}"
    assert shared in accounts(first) and "files:team" in accounts(first)
    assert snapshot_files(first, shared) == {"/Team-Projekt/plan.md": sha(b"# plan\n"),
                                             "/Team-Projekt/Daten/d.bin": sha(bytes(range(256)))}
    assert snapshot_files(first, nina) == {"/Verträge/v.pdf": sha(contract), "/notes.txt": sha(b"notes\n")}
    assert snapshot_files(first, f"files:{api.member_id(MAX)}") == {}  # his mount is the shared folder's scope
    folder_meta = entry_meta(first, shared, "Team-Projekt")
    assert {(u["email"], u["access"]) for u in folder_meta["members"]["users"]} == {(NINA, "owner"), (MAX, "editor")}
    file_meta = entry_meta(first, nina, "Verträge/v.pdf")
    assert {u["email"] for u in file_meta["members"]["users"]} == {MAX}
    assert file_meta["property_groups"][0]["fields"] == [{"name": "Classification", "value": "confidential"}]
    store = runtime.store_for(customer.id)
    [(path, entry)] = list(store.snapshots.walk(first.id, "files:team"))
    assert entry.kind == "template" and path.startswith("File property templates/")
    with store.open(entry.id) as stream:
        assert json.loads(stream.read())["name"] == "Security"

    # change: a folder member more, the contract rewritten with other properties and one member more
    api.add_folder_member(NINA, folder_id, LENA, "viewer")
    control.seed("dropbox", TEAM, NINA, "file", "/Verträge/v.pdf", contract + b"amended\n")
    api.set_properties(NINA, "/Verträge/v.pdf", security, Classification="public")
    api.add_file_member(NINA, "/Verträge/v.pdf", LENA, "editor")
    second = BackupSnapshot.objects.get(id=backup(plan)["snapshot"])
    assert {u["email"] for u in entry_meta(second, shared, "Team-Projekt")["members"]["users"]} == {NINA, MAX, LENA}
    changed = entry_meta(second, nina, "Verträge/v.pdf")
    assert changed["property_groups"][0]["fields"] == [{"name": "Classification", "value": "public"}]
    assert {u["email"] for u in changed["members"]["users"]} == {MAX, LENA}

    # the shared folder back into itself (in place): a lost file comes back, the rest is skipped
    control.remove("dropbox", TEAM, MAX, "file", "/Team-Projekt/plan.md")  # max deletes it through his mount
    report = do_restore(first, account=shared, conflict="skip")
    assert report == {"restored": 1, "skipped": 1, "failed": []}  # every member is still there
    assert files_of(control, TEAM, "sharedfolder:Team-Projekt") == {"/plan.md": sha(b"# plan\n"),
                                                                   "/Daten/d.bin": sha(bytes(range(256)))}

    # restore the FIRST snapshot into lena: bytes, then the members and properties it held
    report = do_restore(first, account=nina, to_account=LENA, to_path="Aus Nina")
    assert (report["restored"], report["skipped"], report["failed"]) == (2, 0, [])
    got = files_of(control, TEAM, LENA)
    assert {p: got.get("/Aus Nina" + p) for p in snapshot_files(first, nina)} == snapshot_files(first, nina)
    assert api.file_members(LENA, "/Aus Nina/Verträge/v.pdf") == {MAX: "viewer", GUEST: "editor"}
    assert api.properties(LENA, [security]) == {"/Aus Nina/Verträge/v.pdf": {security: {
        "Classification": "confidential"}}}
    assert report["reapplied"] == {"file_members": 2, "property_groups": 1}
    assert [(r["path"], r["what"].split(" https://")[0]) for r in report["not_reapplied"]] == [
        ("Verträge/v.pdf", "shared link")]
    # the job page lists what could not be put back (English and German)
    job = Job.objects.filter(customer_id=customer.id).order_by("-created_at").first()
    admin = sign_in(Client(), factories.user("admin@dropbox-kunde.example", "customer_admin", customer=customer))
    page = admin.get(f"/jobs/{job.id}/").content.decode()
    assert "1 sharing or metadata setting could not be put back" in page
    assert "Verträge/v.pdf: shared link https://www.dropbox.com/scl/fi/" in page
    admin.cookies.load({"django_language": "de"})
    german = admin.get(f"/jobs/{job.id}/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "1 Freigabe- oder Metadaten-Einstellung konnte nicht wiederhergestellt werden" in german

    # the shared folder into lena: shared again, with the members of the first snapshot
    report = do_restore(first, account=shared, to_account=LENA, to_path="Wiederhergestellt")
    assert (report["restored"], report["failed"]) == (2, []) and "not_reapplied" not in report
    restored = next(f for f in api.call("sharing/list_folders", {}, member=LENA)["entries"]
                    if f.get("path_lower") == "/wiederhergestellt/team-projekt")
    assert api.folder_members(LENA, restored["shared_folder_id"]) == {
        LENA: "owner", NINA: "editor", MAX: "editor", GUEST: "viewer"}
    assert report["reapplied"] == {"folder_members": 3}
    listed = api.call("files/list_folder", {"path": "", "recursive": True}, member=LENA,
                      namespace=restored["shared_folder_id"])["entries"]  # the restored copy: a shared folder
    assert {r["path_display"]: r["content_hash"] for r in listed if r[".tag"] == "file"} == {
        "/plan.md": content_hash(b"# plan\n"), "/Daten/d.bin": content_hash(bytes(range(256)))}

    # the templates: the team still has them (skipped); into a team folder the folder members cannot be shared
    assert do_restore(first, account="files:team") == {"restored": 0, "skipped": 1, "failed": []}
    ablage = next(a for a in accounts(first) if a.startswith("files:teamfolder:"))
    report = do_restore(first, account=shared, to_account=ablage.removeprefix("files:"))
    assert (report["restored"], report["failed"]) == (2, [])
    assert files_of(control, TEAM, "teamfolder:Ablage") == {
        "/alt.txt": sha(b"old\n"), "/Team-Projekt/plan.md": sha(b"# plan\n"),
        "/Team-Projekt/Daten/d.bin": sha(bytes(range(256)))}
    assert [(r["path"], r["what"]) for r in report["not_reapplied"]] == [("Team-Projekt", "folder members")]
    # the contract into the team folder: its members and properties are re-applied there too (as the admin)
    report = do_restore(first, account=nina, paths=["Verträge"], to_account=ablage.removeprefix("files:"))
    assert (report["restored"], report["failed"], report["reapplied"]) == (
        1, [], {"file_members": 2, "property_groups": 1})
    namespace = ablage.removeprefix("files:teamfolder:")
    assert api.file_members(ADMIN, "/Verträge/v.pdf", namespace=namespace) == {MAX: "viewer", GUEST: "editor"}
    assert api.properties(ADMIN, [security], namespace=namespace) == {"/Verträge/v.pdf": {security: {
        "Classification": "confidential"}}}
    assert files_of(control, TEAM, "teamfolder:Ablage")["/Verträge/v.pdf"] == sha(contract)


def test_a_refresh_token_connection_backs_up(fakecloud, customer, capsys, tmp_path):
    control = fakecloud.control
    control.call("reset")
    control.seed("dropbox", TEAM, NINA, "file", "/r.txt", b"via refresh token\n")
    source = add_source(control, customer, capsys, tmp_path, refresh_token=True)
    plan = plans.enable(source, services=["files"])
    snap = BackupSnapshot.objects.get(id=backup(plan)["snapshot"])
    assert snapshot_files(snap, f"files:{DropboxApi(control.credentials('dropbox', TEAM)).member_id(NINA)}") == {
        "/r.txt": sha(b"via refresh token\n")}
    grants = [r for r in control.stats()["requests"] if r["path"] == "/dropbox/oauth2/token"]
    assert grants  # the connection exchanged its refresh token
