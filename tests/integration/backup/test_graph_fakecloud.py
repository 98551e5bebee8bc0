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


def test_events_and_contacts_download_as_ics_and_vcf(fakecloud, customer):
    control = fakecloud.control
    control.call("reset")
    settings = control.credentials("ms", TENANT)
    event = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:review-1\r\nSUMMARY:Quartalsreview\r\n"
             b"DTSTART:20260601T090000Z\r\nDTEND:20260601T100000Z\r\nLOCATION:Raum 4\r\n"
             b"RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO;COUNT=4\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    card = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Max Muster\r\nN:Muster;Max;;;\r\nEMAIL:max@example.org\r\nEND:VCARD\r\n"
    control.seed("ms", TENANT, USER, "event", "Calendar", event)
    control.seed("ms", TENANT, USER, "contact", "Contacts", card)
    config = {k: v for k, v in settings.items() if k != "client_secret"}
    source = sources.add(customer, "graph", config, settings["client_secret"], actor="test")
    result = backup(plans.enable(source, services=["calendar", "contacts"]))
    assert result["failed"] == []
    snap = BackupSnapshot.objects.get(id=result["snapshot"])
    with zipfile.ZipFile(io.BytesIO(b"".join(download.zip_stream(snap)))) as zf:
        files = {name: zf.read(name).decode() for name in zf.namelist()}
    [ics] = [text for name, text in files.items() if name.endswith(".ics")]
    [vcf] = [text for name, text in files.items() if name.endswith(".vcf")]
    assert ics.startswith("BEGIN:VCALENDAR\r\n") and "SUMMARY:Quartalsreview\r\n" in ics
    assert "DTSTART:20260601T090000Z" in ics and "LOCATION:Raum 4" in ics
    assert "RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO;COUNT=4" in ics
    assert vcf.startswith("BEGIN:VCARD\r\n") and "FN:Max Muster\r\n" in vcf and "EMAIL;TYPE=INTERNET:max@example.org" in vcf
