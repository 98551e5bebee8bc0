"""Box backup and restore of what surrounds the content, end to end against fakecloud (a real process): back
up files and the enterprise's metadata templates, change comments, metadata, collaborations and delete the
template, back up again, then restore the FIRST snapshot (the whole of it) into another user, and compare on
the target every file's sha256 AND its comments, metadata instances and collaborations (files and folders),
with the template created again before the instances were written; the report says what was re-applied and
what was not (an external collaborator the enterprise's policy refuses)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from fakecloud.testing import FakeCloudProcess, running_fakecloud
from kustos.backup.models import BackupSnapshot
from kustos.backup.services import plans
from kustos.core import runtime
from kustos.sources.box.reapply import comment_text
from tests.contract.box_fixtures import sha
from tests.integration.backup.box_helpers import account_of, add_with_cli, backup, do_restore, snapshot_files

pytestmark = pytest.mark.django_db

ENTERPRISE = "kustos-box-meta"
USER = "lena@box-meta.example"
OTHER = "max@box-meta.example"
PEER = "paul@box-meta.example"
LATE = "lara@box-meta.example"
CONTRACT = {"displayName": "Contract", "fields": [{"key": "number", "type": "string"},
                                                  {"key": "amount", "type": "float"}]}


@pytest.fixture(scope="module")
def fakecloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


def target(control, kind: str, account: str) -> dict[str, dict]:
    return {row["path"]: row for row in control.items("box", ENTERPRISE, kind, account)}


def test_restore_first_snapshot_brings_back_comments_metadata_collaborations_and_the_template(
        fakecloud, customer, capsys, tmp_path):
    control = fakecloud.control
    control.call("reset")
    control.seed("box", ENTERPRISE, USER, "metadata_template", "/contract", json.dumps(CONTRACT).encode())
    files = {"/Deals/contract.txt": b"the contract\n" * 40, "/Deals/Sub/annex.bin": bytes(range(256)) * 500,
             "/notes.md": b"# notes\n"}
    seeded_meta = {"/Deals/contract.txt": {
        "comments": ["please sign", "signed by both"], "metadata": {"contract": {"number": "V-1", "amount": 99.5}},
        "file_collaborators": [PEER], "external_collaborators": ["eve@partner.example"], "collaborators": [PEER]}}
    for path, data in files.items():
        control.seed("box", ENTERPRISE, USER, "file", path, data, meta=seeded_meta.get(path))
    control.seed("box", ENTERPRISE, OTHER, "file", "/mine.txt", b"max's own file\n")
    plan = plans.enable(add_with_cli(control, ENTERPRISE, customer, capsys, tmp_path), services=["files", "enterprise"])

    first = BackupSnapshot.objects.get(id=backup(plan)["snapshot"])
    account = account_of(first, "Deals")
    store = runtime.store_for(customer.id)
    assert snapshot_files(first, account) == {p: sha(d) for p, d in files.items()}
    kept = store.snapshots.lookup(first.id, account, "Deals/contract.txt").meta
    assert [c["message"] for c in kept["comments"]] == ["please sign", "signed by both"]
    assert sorted(c["accessible_by"]["login"] for c in kept["collaborations"]) == ["eve@partner.example", PEER]
    template = store.snapshots.lookup(first.id, f"enterprise:{ENTERPRISE}", "metadata_templates/contract.json")
    assert template is not None and template.kind == "metadata_template"

    # Changes: a new version with another comment, other metadata and one more collaborator; the template goes.
    control.seed("box", ENTERPRISE, USER, "file", "/Deals/contract.txt", b"a changed contract\n",
                 meta={"comments": ["changed it"], "metadata": {"contract": {"number": "V-2"}},
                       "file_collaborators": [LATE]})
    control.remove("box", ENTERPRISE, "", "metadata_template", "/contract")
    second = BackupSnapshot.objects.get(id=backup(plan)["snapshot"])
    now = store.snapshots.lookup(second.id, account, "Deals/contract.txt").meta
    assert [c["message"] for c in now["comments"]] == ["please sign", "signed by both", "changed it"]
    assert now["metadata"][0]["number"] == "V-2" and "amount" not in now["metadata"][0]
    assert LATE in {c["accessible_by"]["login"] for c in now["collaborations"]}
    assert store.snapshots.lookup(second.id, f"enterprise:{ENTERPRISE}", "metadata_templates/contract.json") is None
    assert control.items("box", ENTERPRISE, "metadata_template") == []

    report = do_restore(first, to_account=OTHER)  # the whole first snapshot: the template, then the files
    assert report["failed"] == []
    assert (report["restored"], report["skipped"]) == (len(files) + 1, 1)  # + the template; Max's own file kept
    assert report["reapplied"] == {"comments": 2, "metadata": 1, "collaborations": 2, "templates": 1}
    assert [(p["path"], p["what"]) for p in report["not_reapplied"]] == [
        ("Deals/contract.txt", "collaboration of user eve@partner.example (viewer)")]

    assert [row["path"] for row in control.items("box", ENTERPRISE, "metadata_template")] == ["/contract"]
    got = target(control, "file", OTHER)
    assert {p: got[p]["sha256"] for p in files} == {p: sha(d) for p, d in files.items()}  # byte for byte
    contract = got["/Deals/contract.txt"]
    assert contract["comments"] == [comment_text(c) for c in kept["comments"]]  # the first snapshot's two
    assert all(USER in text for text in contract["comments"])  # the original author is named in the text
    assert contract["metadata"] == {"contract": {"number": "V-1", "amount": 99.5}}
    assert contract["collaborations"] == [[PEER, "editor"]]  # not LATE (added after), not the outsider
    assert got["/notes.md"]["comments"] == [] and got["/notes.md"]["metadata"] == {}
    assert got["/mine.txt"]["sha256"] == sha(b"max's own file\n")
    assert target(control, "folder", OTHER)["/Deals"]["collaborations"] == [[PEER, "editor"]]

    # Again with skip: the files are there, nothing is written twice.
    again = do_restore(first, account=account, to_account=OTHER)
    assert (again["restored"], again["skipped"]) == (0, len(files))
    assert again["reapplied"]["collaborations"] == 0
    assert target(control, "file", OTHER)["/Deals/contract.txt"]["comments"] == contract["comments"]
