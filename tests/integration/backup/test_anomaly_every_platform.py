"""Anomaly detection on every platform of the cloud backup, against fakecloud (a real process): what the
platform's own backup tests do not show yet. Ransomware (documents rewritten as random bytes and renamed
``.locked``) in Dropbox and Box raises encrypted content, extension change and mass modification; a mass
deletion raises an alert on Google Drive and on every Google record service (Gmail, Calendar, Contacts,
Tasks) for the account it hit, and a normal day there raises nothing."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator

import pytest

from fakecloud.testing import FakeCloudProcess, running_fakecloud
from kustos.archive.services import sources
from kustos.backup.models import BackupAlert
from kustos.backup.services import plans
from tests.integration.backup import box_helpers
from tests.integration.backup.box_helpers import backup
from tests.integration.backup.test_dropbox_backup import add_source as add_dropbox

pytestmark = pytest.mark.django_db

DROPBOX_TEAM = "kustos-dropbox.example"
DROPBOX_USER = "lena@kustos-dropbox.example"
BOX_ENTERPRISE = "kustos-box-ent"
BOX_USER = "lena@box-restore.example"
DOMAIN = "kustos-anomaly.example"
GOOGLE_USER = f"lena@{DOMAIN}"
TEXT = b"Quarterly report of the sales team. Figures are preliminary and subject to review.\n" * 100
RANSOMWARE = {"encrypted_content", "extension_change", "mass_modification"}


@pytest.fixture(scope="module")
def fakecloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


def kinds(plan) -> set[str]:
    return set(BackupAlert.objects.filter(plan=plan).values_list("kind", flat=True))


def ransomware(seed: Callable[[str, bytes], object], remove: Callable[[str], object], plan, folder: str) -> None:
    """60 documents, a normal edit (no alert), then 55 of them encrypted and renamed ``.locked``."""
    for i in range(60):
        seed(f"/{folder}/report{i}.docx", TEXT + b"document %d\n" % i)
    backup(plan)
    seed(f"/{folder}/report0.docx", TEXT + b"edited\n")
    backup(plan)
    assert kinds(plan) == set()
    for i in range(55):
        remove(f"/{folder}/report{i}.docx")
        seed(f"/{folder}/report{i}.docx.locked", os.urandom(len(TEXT) + 12))
    backup(plan)


def test_ransomware_in_a_members_dropbox_raises_encryption_and_extension_alerts(fakecloud, customer, capsys,
                                                                                  tmp_path):
    control = fakecloud.control
    control.call("reset")
    source = add_dropbox(control, customer, capsys, tmp_path)
    control.seed("dropbox", DROPBOX_TEAM, DROPBOX_USER, "file", "/Verträge/keep.txt", b"kept\n")
    plan = plans.enable(source, services=["files"])
    ransomware(lambda path, data: control.seed("dropbox", DROPBOX_TEAM, DROPBOX_USER, "file", path, data),
               lambda path: control.remove("dropbox", DROPBOX_TEAM, DROPBOX_USER, "file", path), plan, "Berichte")
    assert kinds(plan) == RANSOMWARE
    by_kind = {a.kind: a for a in BackupAlert.objects.filter(plan=plan)}
    assert by_kind["extension_change"].severity == "critical" and ".locked (55)" in by_kind["extension_change"].detail
    assert by_kind["encrypted_content"].detail.startswith("55 modified files now look encrypted")
    assert len({a.account_id for a in by_kind.values()}) == 1


def test_ransomware_in_box_raises_encryption_and_extension_alerts(fakecloud, customer, capsys, tmp_path):
    control = fakecloud.control
    control.call("reset")
    control.seed("box", BOX_ENTERPRISE, BOX_USER, "file", "/Contracts/keep.txt", b"kept\n")
    plan = plans.enable(box_helpers.add_with_cli(control, BOX_ENTERPRISE, customer, capsys, tmp_path),
                        services=["files"])
    ransomware(lambda path, data: control.seed("box", BOX_ENTERPRISE, BOX_USER, "file", path, data),
               lambda path: control.remove("box", BOX_ENTERPRISE, BOX_USER, "file", path), plan, "Reports")
    assert kinds(plan) == RANSOMWARE
    by_kind = {a.kind: a for a in BackupAlert.objects.filter(plan=plan)}
    assert by_kind["encrypted_content"].detail.startswith("55 modified files now look encrypted")
    assert by_kind["mass_modification"].count == 55


def _event(i: int) -> bytes:
    return json.dumps({"summary": f"Meeting {i}"}).encode()


def _contact(i: int) -> bytes:
    return json.dumps({"names": [{"displayName": f"Person {i}", "givenName": f"Person {i}"}]}).encode()


def _mail(i: int) -> bytes:
    return (b"From: a@example.org\r\nTo: " + GOOGLE_USER.encode() +
            b"\r\nSubject: note %d\r\nMessage-ID: <n%d@example.org>\r\n\r\nbody %d\r\n" % (i, i, i))


# service -> (control kind, path of item i, content of item i)
GOOGLE = {
    "drive": ("file", lambda i: f"/Invoices/r{i}.txt", lambda i: b"invoice %d\n" % i),
    "calendar": ("event", lambda i: f"Meeting {i}", _event),
    "contacts": ("contact", lambda i: f"Person {i}", _contact),
    "tasks": ("task", lambda i: f"Errands/Task {i}", lambda i: b"{}"),
    "gmail": ("mail", lambda i: "INBOX", _mail),
}


@pytest.mark.parametrize("service", list(GOOGLE))
def test_mass_deletion_on_google_raises_an_alert_for_that_account(fakecloud, customer, service):
    control = fakecloud.control
    control.call("reset")
    settings = control.credentials("google", DOMAIN)
    kind, path_of, content_of = GOOGLE[service]
    paths = [control.seed("google", DOMAIN, GOOGLE_USER, kind, path_of(i), content_of(i))["path"] for i in range(70)]
    source = sources.add(customer, "gmail", {"admin_email": settings["admin"], "endpoint": settings["endpoint"]},
                         json.dumps(settings["service_account"]), actor="test")
    plan = plans.enable(source, services=[service])
    assert backup(plan)["failed"] == []
    for path in paths[:5]:  # a normal day: a few items gone
        control.remove("google", DOMAIN, GOOGLE_USER, kind, path)
    backup(plan)
    assert kinds(plan) == set()
    for path in paths[5:65]:
        control.remove("google", DOMAIN, GOOGLE_USER, kind, path)
    assert backup(plan)["failed"] == []
    alert = BackupAlert.objects.get(plan=plan)
    assert (alert.kind, alert.count, alert.account.scope_id) == ("mass_deletion", 60, f"{service}:{GOOGLE_USER}")
    assert alert.detail.startswith("60 of ")
