"""End to end against fakecloud (a real process): seed OneDrive files, enable backup on a Microsoft 365
source, back up, list, download the ZIP and compare every file's sha256 with what fakecloud stores;
a second run after one change stores only that change."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from collections.abc import Iterator

import pytest

from fakecloud.testing import FakeCloudProcess, running_fakecloud
from kustos.archive.services import sources
from kustos.backup.models import BackupSnapshot
from kustos.backup.services import browse, download, plans
from kustos.jobs.models import Job
from kustos.jobs.tasks import execute

pytestmark = pytest.mark.django_db

TENANT = "kustos-backup.onmicrosoft.com"
USER = "lena@kustos-backup.onmicrosoft.com"


@pytest.fixture(scope="module")
def fakecloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


def backup(plan) -> dict:
    job = plans.run_now(plan, actor="test")
    execute(job.id)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, job.error
    return job.result


def test_onedrive_backup_browse_and_download_match_fakecloud(fakecloud, customer):
    control = fakecloud.control
    control.call("reset")
    settings = control.credentials("ms", TENANT)
    files = {"/Docs/plan.txt": b"the plan\n" * 50, "/Docs/Sub/data.bin": os.urandom(700_000), "/top.md": b"# top\n"}
    for path, data in files.items():
        control.seed("ms", TENANT, USER, "file", path, data)
    config = {k: v for k, v in settings.items() if k != "client_secret"}
    source = sources.add(customer, "graph", config, settings["client_secret"], actor="test")
    plan = plans.enable(source, services=["onedrive"])

    first = backup(plan)
    assert first["failed"] == [] and first["items"] >= 3
    snap = BackupSnapshot.objects.get(id=first["snapshot"])
    accounts = [r["account"] for r in browse.ls(snap)]
    assert len(accounts) == 1 and accounts[0].startswith("onedrive:")
    stored = {row["path"]: row["sha256"] for row in control.items("ms", TENANT, "file", USER)}
    with zipfile.ZipFile(io.BytesIO(b"".join(download.zip_stream(snap)))) as zf:
        assert all(name.startswith("onedrive_") for name in zf.namelist())  # no ':' (Windows refuses it)
        got = {"/" + name.split("/", 1)[1]: hashlib.sha256(zf.read(name)).hexdigest() for name in zf.namelist()}
    assert got == {p: hashlib.sha256(d).hexdigest() for p, d in files.items()} == {
        p: s for p, s in stored.items() if p in files}
    rows = browse.ls(snap, accounts[0], "Docs/Sub")
    assert [(r["path"], r["size"], r["sha256"]) for r in rows] == [
        ("Docs/Sub/data.bin", 700_000, hashlib.sha256(files["/Docs/Sub/data.bin"]).hexdigest())]

    control.seed("ms", TENANT, USER, "file", "/top.md", b"# changed\n")
    second = backup(plan)
    assert second["stored"] == 1 and second["new_bytes"] < 100_000
    assert browse.ls(BackupSnapshot.objects.get(id=second["snapshot"]), accounts[0], "top.md")[0]["sha256"] == (
        hashlib.sha256(b"# changed\n").hexdigest())


def test_mail_is_backed_up_byte_identical_and_downloads_as_eml(fakecloud, customer):
    control = fakecloud.control
    control.call("reset")
    settings = control.credentials("ms", TENANT)
    mime = (b"From: Max <max@example.org>\r\nTo: lena@kustos-backup.onmicrosoft.com\r\nSubject: Angebot\r\n"
            b"Message-ID: <angebot-1@example.org>\r\nDate: Mon, 1 Jun 2026 10:00:00 +0000\r\n\r\nHallo Lena\r\n")
    seeded = control.seed("ms", TENANT, USER, "mail", "Inbox", mime)
    config = {k: v for k, v in settings.items() if k != "client_secret"}
    source = sources.add(customer, "graph", config, settings["client_secret"], actor="test")
    plan = plans.enable(source, services=["mail"])
    result = backup(plan)
    assert result["failed"] == []
    snap = BackupSnapshot.objects.get(id=result["snapshot"])
    [account] = [r["account"] for r in browse.ls(snap)]
    assert account.startswith("mail:")
    with zipfile.ZipFile(io.BytesIO(b"".join(download.zip_stream(snap, account, "Inbox")))) as zf:
        [name] = zf.namelist()
        assert name.endswith(".eml") and seeded["id"] in name
        assert hashlib.sha256(zf.read(name)).hexdigest() == hashlib.sha256(mime).hexdigest() == next(
            r["sha256"] for r in control.items("ms", TENANT, "mail", USER))
