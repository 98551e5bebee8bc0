"""Restore into another source is generic: a Dropbox snapshot of one team goes into a member of another
team (a second source of the same customer), every file byte for byte; the first team is untouched."""

from __future__ import annotations

import pytest

from kustos.backup.models import BackupSnapshot
from kustos.backup.services import plans
from tests.contract.dropbox_fixtures import files_of, module_fakecloud, sha
from tests.integration.backup.dropbox_helpers import (
    TEAM,
    add_source,
    backup,
    do_restore,
    member_account,
    snapshot_files,
)

pytestmark = pytest.mark.django_db

USER = "lena@kustos-dropbox.example"
OTHER_TEAM = "second-team.example"
TARGET = "ole@second-team.example"
fakecloud = module_fakecloud()


def test_restore_a_members_files_into_a_member_of_another_team(fakecloud, customer, capsys, tmp_path):
    control = fakecloud.control
    control.call("reset")
    files = {"/Docs/plan.txt": b"the plan\n" * 50, "/Docs/Sub/data.bin": bytes(range(256)) * 300,
             "/top.md": b"# top\n"}
    source = add_source(control, customer, capsys, tmp_path)
    target = add_source(control, customer, capsys, tmp_path, team=OTHER_TEAM)
    for path, data in files.items():
        control.seed("dropbox", TEAM, USER, "file", path, data)
    control.seed("dropbox", OTHER_TEAM, TARGET, "file", "/own.txt", b"ole's own file\n")
    snap = BackupSnapshot.objects.get(id=backup(plans.enable(source, services=["files"]))["snapshot"])
    lena = member_account(snap, "Docs")
    expected = snapshot_files(snap, lena)
    assert len(expected) == 3

    report = do_restore(snap, account=lena, to_account=TARGET, to_source=target.id)
    assert report == {"restored": 3, "skipped": 0, "failed": []}
    got = files_of(control, OTHER_TEAM, TARGET)
    assert {p: got.get(p) for p in expected} == expected
    assert got["/own.txt"] == sha(b"ole's own file\n") and len(got) == 4
    assert files_of(control, TEAM, USER) == expected  # the source team is untouched
