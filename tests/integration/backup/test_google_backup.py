"""Google Workspace backup and restore against fakecloud (a real process), through the engine: the gmail
kind's connection backs up Drive (binary files and Google Docs exported), Calendar, Contacts, Tasks and Gmail;
the data changes; a second backup; then the FIRST snapshot is restored into another user and every file's
sha256 and every record's fields are compared with what the first user had."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator

import pytest

from fakecloud.testing import FakeCloudProcess, running_fakecloud
from kustos.archive.services import sources
from kustos.backup import formats
from kustos.backup.models import BackupAlert, BackupSnapshot
from kustos.backup.services import plans, restore, runs
from kustos.core import runtime
from kustos.jobs.models import Job
from kustos.jobs.tasks import execute

pytestmark = pytest.mark.django_db

DOMAIN = "kustos-restore.example"
USER = f"lena@{DOMAIN}"
OTHER = f"max@{DOMAIN}"
SERVICES = ["drive", "calendar", "contacts", "tasks", "gmail"]
FILES = {"/Docs/plan.txt": b"the plan\n" * 50, "/Docs/Sub/data.bin": bytes(range(256)) * 3000,
         "/top.md": b"# top\n", "/empty.txt": b"",
         "/Big/large.bin": bytes(range(256)) * 48 * 1024 + b"odd tail"}  # > 5 MiB: a resumable upload session
EVENTS = [{"summary": "Standup", "location": "Room 1", "start": {"dateTime": "2026-06-01T09:00:00Z"},
           "end": {"dateTime": "2026-06-01T09:15:00Z"}, "recurrence": ["RRULE:FREQ=DAILY;COUNT=5"]},
          {"summary": "Review", "description": "Quarterly review", "start": {"date": "2026-06-03"},
           "end": {"date": "2026-06-04"}}]
CONTACTS = [{"names": [{"displayName": "Anna Berg", "givenName": "Anna", "familyName": "Berg"}],
             "emailAddresses": [{"value": "anna@example.org", "type": "work"}]},
            {"names": [{"displayName": "Carl Dorn", "givenName": "Carl"}],
             "phoneNumbers": [{"value": "+49 30 123456", "type": "mobile"}]}]
MIME = [(b"From: Max <max@example.org>\r\nTo: " + USER.encode() + b"\r\nSubject: Angebot %d\r\n"
         b"Message-ID: <angebot-%d@example.org>\r\nDate: Mon, 1 Jun 2026 10:00:00 +0000\r\n\r\nHallo Lena %d\r\n")
        % (i, i, i) for i in range(3)]
OWN_MAIL = b"Subject: own\r\n\r\nmax's own mail\r\n"
TASKS = {"Errands/Buy paper": {"notes": "A4, 500 sheets"}, "Errands/Call Anna": {"due": "2026-06-05T00:00:00.000Z"}}


@pytest.fixture(scope="module")
def fakecloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def run_backup(plan) -> dict:
    job = plans.run_now(plan, actor="test")
    execute(job.id)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, job.error
    return job.result


def files_of(control, account: str) -> dict[str, str]:
    return {row["path"]: row["sha256"] for row in control.items("google", DOMAIN, "file", account)}


def records_of(control, account: str, kind: str) -> dict[str, dict]:
    return {row["path"]: row["fields"] for row in control.items("google", DOMAIN, kind, account)}


def snapshot_files(snap: BackupSnapshot) -> dict[str, str]:
    store = runtime.store_for(snap.plan.customer_id)
    return {"/" + path: entry.sha256 for path, entry in store.snapshots.walk(snap.id, f"drive:{USER}")
            if entry.kind == "file"}


def test_first_snapshot_restored_into_another_user(fakecloud, customer):
    control = fakecloud.control
    control.call("reset")
    settings = control.credentials("google", DOMAIN)
    for path, data in FILES.items():
        control.seed("google", DOMAIN, USER, "file", path, data)
    control.seed("google", DOMAIN, USER, "file", "/Docs/Memo", b"memo text", meta={"native": "document"})
    for event in EVENTS:
        control.seed("google", DOMAIN, USER, "event", event["summary"], json.dumps(event).encode())
    for contact in CONTACTS:
        control.seed("google", DOMAIN, USER, "contact", contact["names"][0]["displayName"],
                     json.dumps(contact).encode())
    for path, task in TASKS.items():
        control.seed("google", DOMAIN, USER, "task", path, json.dumps(task).encode())
    for n, mime in enumerate(MIME):
        control.seed("google", DOMAIN, USER, "mail", ("INBOX", "Projects")[n % 2], mime)
    control.seed("google", DOMAIN, OTHER, "file", "/mine.txt", b"max's own file\n")  # the other user exists
    control.seed("google", DOMAIN, OTHER, "mail", "INBOX", OWN_MAIL)
    source = sources.add(customer, "gmail", {"admin_email": settings["admin"], "endpoint": settings["endpoint"]},
                         json.dumps(settings["service_account"]), actor="test")
    plan = plans.enable(source, services=SERVICES)
    before = {kind: records_of(control, USER, kind) for kind in ("event", "contact", "task")}
    assert [len(before[k]) for k in ("event", "contact", "task")] == [2, 2, 2]

    first = BackupSnapshot.objects.get(id=run_backup(plan)["snapshot"])
    expected = snapshot_files(first)
    assert {p: expected[p] for p in FILES} == {p: sha(d) for p, d in FILES.items()}
    assert set(expected) == {*FILES, "/Docs/Memo.docx", "/Docs/Memo.pdf"}
    store = runtime.store_for(customer.id)
    accounts = {r["account"] for r in store.snapshots.ls(first.id)}
    assert {f"{s}:{USER}" for s in SERVICES} | {f"drive:{OTHER}"} <= accounts  # every user of the domain

    control.seed("google", DOMAIN, USER, "file", "/Docs/plan.txt", b"a changed plan\n")
    control.remove("google", DOMAIN, USER, "file", "/top.md")
    control.remove("google", DOMAIN, USER, "contact", "Anna Berg")
    control.seed("google", DOMAIN, USER, "event", "Added later", b"")
    second = BackupSnapshot.objects.get(id=run_backup(plan)["snapshot"])
    assert second.id != first.id
    later = snapshot_files(second)
    assert later["/Docs/plan.txt"] == sha(b"a changed plan\n") and "/top.md" not in later
    revisions = [(p.rpartition("/")[0], e.sha256) for p, e in store.snapshots.walk(second.id, f"drive:{USER}")
                 if e.kind == "revision"]
    assert revisions == [("Docs/plan.txt.revisions", sha(FILES["/Docs/plan.txt"]))]  # the earlier content is kept
    contacts_later = [p for p, _e in store.snapshots.walk(second.id, f"contacts:{USER}")]
    assert len(contacts_later) == 1

    job = restore.request(first, actor="test", account=USER, to_account=OTHER)
    execute(job.id)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, job.error
    assert job.result == {"restored": len(expected) + 2 + 2 + 2 + len(MIME), "skipped": 0, "failed": []}
    got = files_of(control, OTHER)
    assert {p: got.get(p) for p in expected} == expected  # every file byte for byte, the exports included
    assert got["/mine.txt"] == sha(b"max's own file\n")
    chunks = [r for r in control.stats()["requests"] if (r["method"], r["path"]) == ("PUT", "/upload/drive/v3/files")]
    assert len(chunks) == 2  # 12 MiB in 8 MiB pieces
    restored = records_of(control, OTHER, "contact")
    origins = {path: fields.pop("clientData") for path, fields in restored.items()}
    assert restored == before["contact"]  # every contact, field for field, plus the restore's origin tag:
    assert all(tags == [{"key": "kustos.restoredFrom", "value": tags[0]["value"]}] and
               tags[0]["value"].startswith("people/") for tags in origins.values())
    for kind in ("event", "task"):
        assert records_of(control, OTHER, kind) == before[kind], kind  # every record, field for field
    mail = {row["path"].partition("/")[0] + ":" + row["sha256"] for row in control.items("google", DOMAIN, "mail",
                                                                                          OTHER)}
    assert mail == {f"INBOX:{sha(MIME[0])}", f"Projects:{sha(MIME[1])}", f"INBOX:{sha(MIME[2])}",
                    f"INBOX:{sha(OWN_MAIL)}"}  # raw RFC 822 byte for byte, in its label


def test_in_place_restore_with_skip_copy_and_replace(fakecloud, customer):
    control = fakecloud.control
    control.call("reset")
    settings = control.credentials("google", DOMAIN)
    control.seed("google", DOMAIN, USER, "file", "/Docs/plan.txt", b"the plan\n")
    control.seed("google", DOMAIN, USER, "file", "/top.md", b"# top\n")
    big = bytes(range(251)) * 40_000  # ~9.6 MiB: replaced through a resumable session
    control.seed("google", DOMAIN, USER, "file", "/big.bin", big)
    source = sources.add(customer, "gmail", {"admin_email": settings["admin"], "endpoint": settings["endpoint"]},
                         json.dumps(settings["service_account"]), actor="test")
    plan = plans.enable(source, services=["drive"])
    snap = BackupSnapshot.objects.get(id=run_backup(plan)["snapshot"])
    control.seed("google", DOMAIN, USER, "file", "/Docs/plan.txt", b"overwritten by ransomware\n")
    control.remove("google", DOMAIN, USER, "file", "/top.md")
    control.seed("google", DOMAIN, USER, "file", "/big.bin", b"encrypted")

    def do(**options) -> dict:
        job = restore.request(snap, actor="test", account=f"drive:{USER}", **options)
        execute(job.id)
        job.refresh_from_db()
        return job.result

    assert do(conflict="skip") == {"restored": 1, "skipped": 2, "failed": []}
    now = files_of(control, USER)
    assert now["/top.md"] == sha(b"# top\n") and now["/Docs/plan.txt"] == sha(b"overwritten by ransomware\n")
    assert do(paths=["Docs"], conflict="copy") == {"restored": 1, "skipped": 0, "failed": []}
    assert files_of(control, USER)["/Docs/plan 1.txt"] == sha(b"the plan\n")
    assert do(paths=["Docs/plan.txt"], conflict="replace") == {"restored": 1, "skipped": 0, "failed": []}
    assert files_of(control, USER)["/Docs/plan.txt"] == sha(b"the plan\n")
    assert do(paths=["big.bin"], conflict="replace") == {"restored": 1, "skipped": 0, "failed": []}
    assert files_of(control, USER)["/big.bin"] == sha(big)


def test_shared_drive_restored_into_itself_and_into_a_user(fakecloud, customer):
    control = fakecloud.control
    control.call("reset")
    settings = control.credentials("google", DOMAIN)
    files = {"/Contracts/a.pdf": b"contract a", "/Contracts/2026/b.pdf": b"contract b" * 1000}
    for path, data in files.items():
        control.seed("google", DOMAIN, USER, "file", path, data, meta={"shared_drive": "Legal"})
    control.seed("google", DOMAIN, OTHER, "file", "/mine.txt", b"mine")
    source = sources.add(customer, "gmail", {"admin_email": settings["admin"], "endpoint": settings["endpoint"]},
                         json.dumps(settings["service_account"]), actor="test")
    plan = plans.enable(source, services=["drive"])
    snap = BackupSnapshot.objects.get(id=run_backup(plan)["snapshot"])
    store = runtime.store_for(customer.id)
    [account] = [r["account"] for r in store.snapshots.ls(snap.id) if r["account"].startswith("drive:shared:")]
    assert {"/" + p: e.sha256 for p, e in store.snapshots.walk(snap.id, account) if e.kind == "file"} == {
        p: sha(d) for p, d in files.items()}
    control.remove("google", DOMAIN, "shared:Legal", "file", "/Contracts/2026/b.pdf")
    assert "/Contracts/2026/b.pdf" not in files_of(control, "shared:Legal")

    job = restore.request(snap, actor="test", account=account)
    execute(job.id)
    job.refresh_from_db()
    assert job.result == {"restored": 1, "skipped": 1, "failed": []}  # a.pdf is still there
    assert files_of(control, "shared:Legal") == {p: sha(d) for p, d in files.items()}

    job = restore.request(snap, actor="test", account=account, to_account=OTHER, to_path="From Legal")
    execute(job.id)
    job.refresh_from_db()
    assert job.result == {"restored": 2, "skipped": 0, "failed": []}
    got = files_of(control, OTHER)
    assert {p: got.get("/From Legal" + p) for p in files} == {p: sha(d) for p, d in files.items()}


def test_ransomware_on_google_drive_raises_alerts(fakecloud, customer):
    """Anomaly detection works on Google Drive as on every source: documents encrypted and renamed .locked."""
    control = fakecloud.control
    control.call("reset")
    settings = control.credentials("google", DOMAIN)
    text = b"Quarterly report of the sales team. Figures are preliminary and subject to review.\n" * 100
    for i in range(60):
        control.seed("google", DOMAIN, USER, "file", f"/Docs/file{i}.docx", text + b"document %d\n" % i)
    source = sources.add(customer, "gmail", {"admin_email": settings["admin"], "endpoint": settings["endpoint"]},
                         json.dumps(settings["service_account"]), actor="test")
    plan = plans.enable(source, services=["drive"])
    first = runs.run(plan)
    assert first["failed"] == [] and BackupAlert.objects.count() == 0
    control.seed("google", DOMAIN, USER, "file", "/Docs/file0.docx", text + b"edited\n")  # a normal edit
    runs.run(plan)
    assert BackupAlert.objects.count() == 0
    for i in range(55):
        control.remove("google", DOMAIN, USER, "file", f"/Docs/file{i}.docx")
        control.seed("google", DOMAIN, USER, "file", f"/Docs/file{i}.docx.locked", os.urandom(len(text) + 12))
    third = runs.run(plan)
    assert third["failed"] == []
    alerts = BackupAlert.objects.filter(plan=plan)
    assert set(alerts.values_list("kind", flat=True)) == {"encrypted_content", "extension_change", "mass_modification"}
    assert {a.account.scope_id for a in alerts} == {f"drive:{USER}"}


def test_google_events_and_contacts_download_as_icalendar_and_vcard():
    """The snapshot keeps the APIs' JSON; downloads render it (formats.ics / formats.vcf hand Google's shape on)."""
    event = {"kind": "calendar#event", "id": "ev1", "iCalUID": "ev1@google.com", "summary": "Standup; daily",
             "location": "Room 1", "description": "Agenda", "updated": "2026-05-01T08:00:00.000Z",
             "start": {"dateTime": "2026-06-01T09:00:00+02:00", "timeZone": "Europe/Berlin"},
             "end": {"dateTime": "2026-06-01T09:15:00+02:00", "timeZone": "Europe/Berlin"},
             "recurrence": ["RRULE:FREQ=DAILY;COUNT=5"], "organizer": {"email": "lena@x.example", "displayName": "Lena"},
             "attendees": [{"email": "max@x.example", "optional": True}]}
    text = formats.ics(json.dumps(event).encode()).decode()
    assert "UID:ev1@google.com\r\n" in text and "SUMMARY:Standup\\; daily\r\n" in text
    assert "DTSTART;TZID=Europe/Berlin:20260601T090000\r\n" in text and "RRULE:FREQ=DAILY;COUNT=5\r\n" in text
    assert "LOCATION:Room 1\r\n" in text and 'ORGANIZER;CN="Lena":mailto:lena@x.example' in text
    assert "ATTENDEE;ROLE=OPT-PARTICIPANT:mailto:max@x.example" in text
    allday = formats.ics(json.dumps({"kind": "calendar#event", "start": {"date": "2026-06-03"}}).encode()).decode()
    assert "DTSTART;VALUE=DATE:20260603\r\n" in allday
    person = {"resourceName": "people/c1", "names": [{"displayName": "Anna Berg", "givenName": "Anna",
                                                      "familyName": "Berg"}],
              "emailAddresses": [{"value": "anna@example.org"}], "phoneNumbers": [{"value": "+49 1", "type": "mobile"}],
              "organizations": [{"name": "Kunde GmbH", "title": "CEO"}], "birthdays": [{"date": {"month": 2, "day": 3}}]}
    card = formats.vcf(json.dumps(person).encode()).decode()
    assert "FN:Anna Berg\r\n" in card and "N:Berg;Anna;;;\r\n" in card and "ORG:Kunde GmbH;\r\n" in card
    assert "TEL;TYPE=CELL:+49 1\r\n" in card and "EMAIL;TYPE=INTERNET:anna@example.org\r\n" in card
    assert "BDAY:--0203\r\n" in card and "TITLE:CEO\r\n" in card


def test_google_task_page_shows_its_notes_and_due_date():
    page = formats.task_html(json.dumps({"kind": "tasks#task", "title": "Buy paper", "notes": "A4 <500>",
                                         "due": "2026-06-05T00:00:00.000Z", "status": "needsAction"}).encode())
    text = page.decode()
    assert "<p>A4 &lt;500&gt;</p>" in text and "2026-06-05T00:00:00.000Z" in text and "needsAction" in text
