"""Dropbox backup and restore against fakecloud (a real process): add the source from a settings file
through the CLI, back up every member, change files, back up again (unchanged files are not
downloaded again: their content_hash is the content tag), restore the FIRST snapshot into another
member and compare every file's sha256 with fakecloud's; restore in place with skip / copy / replace."""

from __future__ import annotations

import pytest
from django.test import Client

from kustos.archive.models import Source
from kustos.backup.models import BackupAlert, BackupSnapshot
from kustos.backup.services import plans
from kustos.core.secrets import open_secret
from tests import factories
from tests.contract.dropbox_fixtures import files_of as team_files
from tests.contract.dropbox_fixtures import module_fakecloud, sha
from tests.integration.backup.dropbox_helpers import (
    TEAM,
    add_source,
    backup,
    do_restore,
    downloads,
    member_account,
    snapshot_files,
)
from tests.integration.web.session import sign_in

pytestmark = pytest.mark.django_db

__all__ = ["add_source"]  # tests/integration/backup/test_anomaly_every_platform.py adds its source with it

USER = "lena@kustos-dropbox.example"
OTHER = "max@kustos-dropbox.example"
fakecloud = module_fakecloud()


def files_of(control, account: str) -> dict[str, str]:
    return team_files(control, TEAM, account)


def test_backup_change_backup_and_restore_the_first_snapshot_into_another_member(fakecloud, customer, capsys,
                                                                                  tmp_path):
    control = fakecloud.control
    control.call("reset")
    files = {"/Docs/plan.txt": b"the plan\n" * 50, "/Docs/Sub/data.bin": bytes(range(256)) * 3000,
             "/top.md": b"# top\n", "/empty.txt": b"", "/Fotos/Ürlaub.jpg": bytes(range(7, 250)) * 100,
             "/Big/large.bin": bytes(range(251)) * (9 * 1024 * 1024 // 251 + 17)}  # > 8 MiB: an upload session
    source = add_source(control, customer, capsys, tmp_path)
    for path, data in files.items():
        control.seed("dropbox", TEAM, USER, "file", path, data)
    control.seed("dropbox", TEAM, OTHER, "file", "/mine.txt", b"max's own file\n")
    control.seed("dropbox", TEAM, "teamfolder:Projekte", "file", "/Angebot.txt", b"team folder file\n")
    plan = plans.enable(source, services=["files"])
    first = BackupSnapshot.objects.get(id=backup(plan)["snapshot"])
    lena = member_account(first, "Docs")
    expected = snapshot_files(first, lena)
    assert expected == files_of(control, USER) and len(expected) == 6
    team_folder = member_account(first, "Angebot.txt")
    assert team_folder.startswith("files:teamfolder:")
    assert snapshot_files(first, team_folder) == {"/Angebot.txt": sha(b"team folder file\n")}

    before = downloads(control)
    control.seed("dropbox", TEAM, USER, "file", "/Docs/plan.txt", b"a changed plan\n")
    control.seed("dropbox", TEAM, USER, "file", "/new.txt", b"new\n")
    control.remove("dropbox", TEAM, USER, "file", "/top.md")
    control.remove("dropbox", TEAM, USER, "file", "/Fotos")  # a folder: one deletion entry for it all
    second = BackupSnapshot.objects.get(id=backup(plan)["snapshot"])
    assert second.id != first.id
    assert downloads(control) - before == 2  # only the changed and the new file
    now = snapshot_files(second, lena)
    assert now == files_of(control, USER) and "/top.md" not in now and now["/new.txt"] == sha(b"new\n")
    assert "/Fotos/Ürlaub.jpg" not in now and len(now) == 5

    # a reset cursor: every file is listed again, none is downloaded again
    control.call("dropbox/invalidate_cursors", tenant=TEAM, account=USER)
    before = downloads(control)
    third = BackupSnapshot.objects.get(id=backup(plan)["snapshot"])
    assert downloads(control) == before and snapshot_files(third, lena) == now

    report = do_restore(first, account=lena, to_account=OTHER)
    assert report == {"restored": 6, "skipped": 0, "failed": []}
    got = files_of(control, OTHER)
    assert {p: got.get(p) for p in expected} == expected  # the 9 MiB file (upload session) included
    assert got["/mine.txt"] == sha(b"max's own file\n") and len(got) == 7
    assert sum(1 for r in control.stats()["requests"] if r["path"].startswith("/dropbox/2/files/upload_session/")) == 2
    # the team folder's files into a member, below a folder of their own
    report = do_restore(first, account=team_folder, to_account=OTHER, to_path="Aus Projekte")
    assert report == {"restored": 1, "skipped": 0, "failed": []}
    assert files_of(control, OTHER)["/Aus Projekte/Angebot.txt"] == sha(b"team folder file\n")


def test_in_place_restore_with_skip_copy_and_replace(fakecloud, customer, capsys, tmp_path):
    control = fakecloud.control
    control.call("reset")
    source = add_source(control, customer, capsys, tmp_path)
    for path, data in {"/Docs/plan.txt": b"the plan\n", "/Docs/notes.txt": b"notes\n", "/top.md": b"# top\n"}.items():
        control.seed("dropbox", TEAM, USER, "file", path, data)
    plan = plans.enable(source, services=["files"])
    snap = BackupSnapshot.objects.get(id=backup(plan)["snapshot"])
    account = member_account(snap, "Docs")
    control.seed("dropbox", TEAM, USER, "file", "/Docs/plan.txt", b"overwritten by ransomware\n")
    control.remove("dropbox", TEAM, USER, "file", "/top.md")

    assert do_restore(snap, account=account, conflict="skip") == {"restored": 1, "skipped": 2, "failed": []}
    now = files_of(control, USER)
    assert now["/top.md"] == sha(b"# top\n") and now["/Docs/plan.txt"] == sha(b"overwritten by ransomware\n")

    report = do_restore(snap, account=account, paths=["Docs"], conflict="copy")
    assert report == {"restored": 2, "skipped": 0, "failed": []}
    now = files_of(control, USER)
    assert now["/Docs/plan.txt"] == sha(b"overwritten by ransomware\n")
    assert now["/Docs/plan (1).txt"] == sha(b"the plan\n") and now["/Docs/notes (1).txt"] == sha(b"notes\n")

    report = do_restore(snap, account=account, paths=["Docs/plan.txt"], conflict="replace")
    assert report == {"restored": 1, "skipped": 0, "failed": []}
    assert files_of(control, USER)["/Docs/plan.txt"] == sha(b"the plan\n")

    report = do_restore(snap, account=account, paths=["Docs"], to_account="nobody@kustos-dropbox.example")
    assert report["restored"] == 0 and len(report["failed"]) == 3  # the folder and its two files
    assert all("no member 'nobody@kustos-dropbox.example' in the Dropbox team" in f["error"]
               for f in report["failed"])


def test_mass_deletion_in_a_members_dropbox_raises_an_anomaly_alert(fakecloud, customer, capsys, tmp_path):
    control = fakecloud.control
    control.call("reset")
    source = add_source(control, customer, capsys, tmp_path)
    for i in range(70):
        control.seed("dropbox", TEAM, USER, "file", f"/Rechnungen/r{i}.txt", f"Rechnung {i}\n".encode())
    plan = plans.enable(source, services=["files"])
    backup(plan)
    assert not BackupAlert.objects.filter(plan=plan).exists()
    for i in range(60):
        control.remove("dropbox", TEAM, USER, "file", f"/Rechnungen/r{i}.txt")
    backup(plan)
    alert = BackupAlert.objects.get(plan=plan)
    assert alert.kind == "mass_deletion" and alert.detail.startswith("60 of ")


def test_dashboard_shows_the_app_console_steps_and_adds_the_source(customer):
    admin = sign_in(Client(), factories.user("admin@dropbox-kunde.example", "customer_admin", customer=customer))
    base = f"/customers/{customer.id}/sources/new/"
    page = admin.get(base + "?kind=dropbox").content.decode()
    assert "Dropbox Business" in page and "Dropbox App Console" in page and "team_data.member" in page
    admin.cookies.load({"django_language": "de"})
    german = admin.get(base + "?kind=dropbox", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "App-Geheimnis" in german and "Ein Team-Administrator verknüpft die App mit dem Team" in german
    admin.cookies.load({"django_language": "en"})
    resp = admin.post(base, {"kind": "dropbox", "app_key": "abc123key", "app_secret": "s3cret-app",
                             "interval_minutes": "15"})
    assert resp.status_code == 302, resp.content.decode()[:2000]
    source = Source.objects.get(kind="dropbox")
    assert source.config == {"app_key": "abc123key"} and open_secret(source.secret, source.id) == "s3cret-app"
    missing = admin.post(base, {"kind": "dropbox", "app_key": "k2", "interval_minutes": "15"})
    assert missing.status_code == 400 and Source.objects.count() == 1
    # the refresh-token sign-in: its steps in both languages, and a source that keeps the choice
    assert "grant_type=authorization_code" in page and "Refresh token (OAuth code flow, done once)" in page
    assert "Oder einmalig als Team-Administrator mit einem Refresh-Token anmelden" in german
    resp = admin.post(base, {"kind": "dropbox", "app_key": "key-2", "sign_in": "refresh_token",
                             "app_secret": "long-lived-refresh-token", "interval_minutes": "15"})
    assert resp.status_code == 302, resp.content.decode()[:2000]
    refreshing = Source.objects.get(kind="dropbox", config__app_key="key-2")
    assert refreshing.config == {"app_key": "key-2", "sign_in": "refresh_token"}
    assert open_secret(refreshing.secret, refreshing.id) == "long-lived-refresh-token"
