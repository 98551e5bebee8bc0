"""The exit export from the REST API and the dashboard: partner admins and operators start the
job, its progress is on the page, the finished export downloads as a ZIP holding every message
byte-exact and a verifying MANIFEST; other roles are refused; start and download are audited."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

from django.conf import settings
from django.test import Client

from kustos.accounts.services import tokens
from kustos.archive.exit_export import service
from kustos.archive.exit_export.mail import MailPass
from kustos.archive.models import Message
from kustos.audit.models import AuditEvent
from kustos.jobs.models import Job
from tests import factories
from tests.integration.exit_export.world import cli_json
from tests.integration.web.session import sign_in


def _token(user) -> str:
    _, secret = tokens.create(user, "ci")
    return f"Bearer {secret}"


def _zip_members(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def test_api_exit_export_job_and_zip_download(exit_world, django_capture_on_commit_callbacks):
    w = exit_world
    admin = factories.user("admin@ausstieg-partner.example", "partner_admin", partner=w.customer.partner, totp=True)
    tech = factories.user("tech@ausstieg-partner.example", "partner_tech", partner=w.customer.partner, totp=True)
    auth = _token(admin)
    with django_capture_on_commit_callbacks(execute=True):
        resp = Client().post(f"/api/v1/customers/{w.customer.id}/exit-export", HTTP_AUTHORIZATION=auth)
    assert resp.status_code == 202, resp.content[:300]
    job = Job.objects.get(id=resp.json()["job"])
    assert job.kind == "customer.exit_export" and job.state == Job.State.SUCCEEDED, job.error
    assert job.result["messages"] == 8 and job.result["files"] == 9 and job.result["ok"] is True
    assert job.result["path"].startswith(str(w.home / "exit-exports" / w.customer.id))

    dl = Client().get(f"/api/v1/customers/{w.customer.id}/exit-export/{job.id}/download", HTTP_AUTHORIZATION=auth)
    assert dl.status_code == 200 and dl["Content-Type"] == "application/zip"
    members = _zip_members(b"".join(dl.streaming_content))
    prefix = f"kustos-export-{w.customer.id}/"
    assert all(name.startswith(prefix) for name in members)
    files = {name[len(prefix):]: data for name, data in members.items()}
    manifest = [line.split("  ", 1) for line in files["MANIFEST.sha256"].decode().splitlines()]
    assert sorted(rel for _, rel in manifest) == sorted(set(files) - {"MANIFEST.sha256"})
    assert all(hashlib.sha256(files[rel]).hexdigest() == digest for digest, rel in manifest)
    emls = {hashlib.sha256(data).hexdigest() for rel, data in files.items() if rel.endswith(".eml")}
    assert emls == set(Message.objects.filter(customer=w.customer).values_list("sha256", flat=True))
    ev = AuditEvent.objects.get(action="customer.exit_export_download", customer_id=w.customer.id)
    assert ev.actor == admin.email and ev.target == job.id
    assert AuditEvent.objects.filter(action="customer.exit_export_start", actor=admin.email).count() == 1
    assert AuditEvent.objects.filter(action="customer.exit_export", customer_id=w.customer.id).count() == 1

    # partner technicians may not; an unknown job is a clear 404
    assert Client().post(f"/api/v1/customers/{w.customer.id}/exit-export",
                         HTTP_AUTHORIZATION=_token(tech)).status_code == 403
    missing = Client().get(f"/api/v1/customers/{w.customer.id}/exit-export/jb_none/download", HTTP_AUTHORIZATION=auth)
    assert missing.status_code == 404 and "no exit export jb_none" in json.dumps(missing.json())


def test_dashboard_exit_export(exit_world, django_capture_on_commit_callbacks):
    w = exit_world
    operator = factories.user("op@ausstieg.example", "operator", totp=True)
    tech = factories.user("tech2@ausstieg-partner.example", "partner_tech", partner=w.customer.partner, totp=True)
    client = sign_in(Client(), operator)
    assert f"/customers/{w.customer.id}/exit-export/" in client.get(f"/customers/{w.customer.id}/").content.decode()
    page = client.get(f"/customers/{w.customer.id}/exit-export/")
    assert page.status_code == 200 and "No exit export yet." in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(f"/customers/{w.customer.id}/exit-export/")
    assert started.status_code == 302
    job = Job.objects.get(kind="customer.exit_export", customer_id=w.customer.id)
    assert job.state == Job.State.SUCCEEDED, job.error
    job_page = client.get(f"/jobs/{job.id}/").content.decode()
    assert "Customer exit export" in job_page and 'data-state="succeeded"' in job_page
    listing = client.get(f"/customers/{w.customer.id}/exit-export/").content.decode()
    assert "8 messages, 9 files" in listing and f"/exit-export/{job.id}/download/" in listing
    dl = client.get(f"/customers/{w.customer.id}/exit-export/{job.id}/download/")
    assert dl.status_code == 200
    members = _zip_members(b"".join(dl.streaming_content))
    assert sum(1 for name in members if name.endswith(".eml")) == 9

    german = sign_in(Client(), operator)
    german.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    de = german.get(f"/customers/{w.customer.id}/exit-export/").content.decode()
    assert "Ausstiegsexport des gesamten Archivs" in de and "ZIP herunterladen" in de

    other = sign_in(Client(), tech)
    assert other.get(f"/customers/{w.customer.id}/exit-export/").status_code == 403
    assert other.get(f"/customers/{w.customer.id}/exit-export/{job.id}/download/").status_code == 403
    assert f"/customers/{w.customer.id}/exit-export/" not in other.get(f"/customers/{w.customer.id}/").content.decode()


def test_a_failed_attempt_is_resumed_by_the_job_retry(exit_world, django_capture_on_commit_callbacks, monkeypatch):
    w = exit_world
    admin = factories.user("admin2@ausstieg-partner.example", "partner_admin", partner=w.customer.partner)
    reads = {"n": 0}
    real_message = MailPass._message

    def flaky(self, m, places):
        reads["n"] += 1
        if reads["n"] == 5:
            raise OSError("disk hiccup")  # the first attempt dies after four messages
        return real_message(self, m, places)

    monkeypatch.setattr(MailPass, "_message", flaky)
    with django_capture_on_commit_callbacks(execute=True):
        job = service.start_as(admin, w.customer.id)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED and job.attempts == 2, job.error
    assert job.result["kept"] >= 5 and job.result["messages"] == 8  # marker + the four messages' files kept
    out = Path(job.result["path"])
    assert not list(out.rglob("*.part")) and (out / "MANIFEST.sha256").is_file()


def test_a_command_line_export_is_listed_but_not_downloadable(exit_world, tmp_path, monkeypatch, capsys):
    w = exit_world
    code, result = cli_json(monkeypatch, capsys, "customer", "export", w.customer.id, "-o", str(tmp_path / "cli"))
    assert code == 0, result
    operator = factories.user("op3@ausstieg.example", "operator", totp=True)
    client = sign_in(Client(), operator)
    listing = client.get(f"/customers/{w.customer.id}/exit-export/").content.decode()
    assert "8 messages, 9 files" in listing and "/download/" not in listing
    dl = client.get(f"/customers/{w.customer.id}/exit-export/{result['job']}/download/")
    assert dl.status_code == 404
