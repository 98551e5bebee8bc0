"""Salesforce metadata backup end to end (fakecloud as a real process): a plan with every service backs up
the org's configuration beside its data, one snapshot entry per file of the retrieve; the next snapshot
stores only the file that changed (the others are the same blobs) and drops the removed ones; a restore
of metadata is refused as download only and says so in the report."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from fakecloud.testing import FakeCloudProcess, running_fakecloud
from kustos.archive.models import Source
from kustos.backup.models import BackupSnapshot
from kustos.backup.services import plans, restore
from kustos.cli import registry as cli
from kustos.core import runtime
from kustos.jobs.tasks import execute
from tests.integration.backup.job_runs import backup

pytestmark = pytest.mark.django_db

ORG = "meta-sf.example.com"


@pytest.fixture(scope="module")
def fakecloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


def entries(snap: BackupSnapshot, account: str) -> dict[str, str]:
    store = runtime.store_for(snap.plan.customer_id)
    return {path: str(entry.id) for path, entry in store.snapshots.walk(snap.id, account) if entry.kind != "folder"}


def test_metadata_files_are_backed_up_changed_files_only_and_restore_is_download_only(fakecloud, customer, capsys,
                                                                                        tmp_path):
    control = fakecloud.control
    settings = control.credentials("salesforce", ORG)
    path = tmp_path / "salesforce.json"
    path.write_text(json.dumps({k: v for k, v in settings.items() if k != "endpoint"}))
    capsys.readouterr()
    code = cli.run(["source", "add", "salesforce", "--customer", str(customer.id), "--settings-file", str(path),
                    "--endpoint", settings["endpoint"], "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    source = Source.objects.get(id=json.loads(out)["id"])
    account = control.seed("salesforce", ORG, "", "Account", "", json.dumps({"Name": "Acme"}).encode())["id"]
    control.call("salesforce/configure", tenant=ORG, metadata={"classes/Hello.cls": "public class Hello {}",
                                                               "classes/Hello.cls-meta.xml": "<ApexClass/>"})
    plan = plans.enable(source)
    assert plan.services == ["data", "metadata"]
    first = backup(plan)
    store = runtime.store_for(customer.id)
    accounts = sorted(r["account"] for r in store.snapshots.ls(first.id))
    assert [a.split(":")[0] for a in accounts] == ["data", "metadata"]
    meta_account = accounts[1]
    before = entries(first, meta_account)
    assert sorted(before) == ["metadata/classes/Hello.cls", "metadata/classes/Hello.cls-meta.xml",
                              "metadata/objects/Account.object", "metadata/package.xml"]

    control.seed("salesforce", ORG, "", "Account", account, json.dumps({"Tier__c": "Gold"}).encode())
    control.call("salesforce/configure", tenant=ORG, metadata={"classes/Hello.cls-meta.xml": None,
                                                               "classes/Hello.cls": "public class Hello { }"})
    second = backup(plan)
    after = entries(second, meta_account)
    assert sorted(after) == ["metadata/classes/Hello.cls", "metadata/objects/Account.object", "metadata/package.xml"]
    assert after["metadata/package.xml"] == before["metadata/package.xml"]  # unchanged: the same blob
    assert after["metadata/objects/Account.object"] != before["metadata/objects/Account.object"]
    assert after["metadata/classes/Hello.cls"] != before["metadata/classes/Hello.cls"]
    with store.open(store.snapshots.lookup(second.id, meta_account, "metadata/classes/Hello.cls").id) as stream:
        assert stream.read() == b"public class Hello { }"

    job = restore.request(first, actor="test", account=meta_account, paths=["metadata/classes"], conflict="replace")
    execute(job.id)
    job.refresh_from_db()
    report = job.result
    assert report["restored"] == 0 and len(report["failed"]) == 2
    assert all("download only" in row["error"] for row in report["failed"])
