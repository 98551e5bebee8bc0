"""Deleting a customer leaves nothing of its mail behind: no file under KUSTOS_HOME or the
system temp directory holds its message bytes or names, and no database row mentions it
except the deletion record, the deletion job and the audit trail. Exports are written
under KUSTOS_HOME/exports, streamed once and gone; stale ones expire."""

from __future__ import annotations

import os
import secrets
import tempfile
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from kustos.accounts.services import tokens
from kustos.archive.models import Message, Source, Upload
from kustos.archive.pipeline.contract import Incoming
from kustos.archive.services import export_files
from kustos.archive.services.ingest import Ingestor
from kustos.core import runtime
from kustos.jobs import schedules
from kustos.jobs.models import Job
from kustos.sources.smtp.spool import Envelope, Spool
from kustos.tenants.models import DeletionRecord
from kustos.tenants.services import customers
from tests import factories
from tests.integration.lifecycle.scan import files_containing, rows_mentioning
from tests.integration.web.session import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

ALLOWED_TABLES = {"tenants_deletionrecord", "audit_auditevent"}


@pytest.fixture
def home_customer(tmp_path, settings):
    """A customer whose whole KUSTOS_HOME (vault, index, spool, uploads, exports) is this test's."""
    settings.KUSTOS = type(settings.KUSTOS)(**{**settings.KUSTOS.__dict__, "home": tmp_path / "home"})
    (tmp_path / "home").mkdir()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    runtime.reset()
    partner = factories.partner("Wipe Partner")
    yield factories.customer(partner, "Wipe Kunde")
    runtime.reset()


def _mail(i: int, tok: dict[str, str]) -> bytes:
    msg = EmailMessage()
    msg["From"] = "sender@supplier.example"
    msg["To"] = tok["mailbox"]
    msg["Subject"] = f"Offer {i} {tok['subject']}"
    msg["Date"] = "Mon, 04 Mar 2024 12:00:00 +0100"
    msg["Message-ID"] = f"<wipe{i}.{tok['subject']}@example.org>"
    msg.set_content(f"Hello, the secret body {tok['body']} number {i}.\n")
    msg.add_attachment(b"attachment text", maintype="application", subtype="octet-stream",
                       filename=tok["attachment"])
    return msg.as_bytes()


def _bearer(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_customer_deletion_leaves_no_file_and_no_row(home_customer, django_capture_on_commit_callbacks):
    start = time.time() - 2
    customer = home_customer
    home = runtime.settings().home
    tag = secrets.token_hex(5)
    tok = {"subject": f"SubjTok{tag}", "body": f"BodyTok{tag}", "attachment": f"AttTok{tag}.pdf",
           "mailbox": f"box{tag}@kunde.example", "folder": f"FolderTok{tag}", "upload": f"UplTok{tag}.mbox"}

    # mail in the archive (vault, index, rows), one quarantined input
    with Ingestor(customer, workers=1).session() as ingestor:
        ingestor.ingest([Incoming(raw=_mail(i, tok), mailbox=tok["mailbox"], folders=[f"Projects/{tok['folder']}"],
                                  source="import", source_ref=f"/in/{tok['folder']}/{i}.eml") for i in range(3)])
        ingestor.quarantine("import", f"/in/{tok['folder']}/broken.eml", "unreadable", _mail(9, tok))
    assert Message.objects.filter(customer=customer).count() == 3
    Source.objects.create(customer=customer, kind="imap", name=f"IMAP {tok['mailbox']}",
                          config={"username": tok["mailbox"]}, last_error=f"failed on {tok['folder']}",
                          consecutive_failures=2)

    admin = factories.user(f"admin{tag}@kunde.example", "customer_admin", customer=customer, totp=True)
    _, secret = tokens.create(admin, "wipe")
    api = Client()
    # export via the API (MBOX: plain bytes, so a leftover file would show the tokens)
    resp = api.post(f"/api/v1/customers/{customer.id}/archive/export", {"query": "", "format": "mbox"},
                    content_type="application/json", **_bearer(secret))
    assert resp.status_code == 200 and resp["X-Export-Count"] == "3"
    assert tok["body"].encode() in b"".join(resp.streaming_content)
    # export via the dashboard
    web = sign_in(Client(), admin)
    failed = Client().post("/login/", {"email": admin.email, "password": "not-the-password-1"})
    assert failed.status_code in (200, 400, 403, 429)  # a failed sign-in leaves records naming the user
    resp = web.post("/archive/export/", {"customer": customer.id, "q": "", "scope": "all", "format": "mbox"})
    assert resp.status_code == 200 and resp["X-Export-Count"] == "3"
    assert tok["subject"].encode() in b"".join(resp.streaming_content)
    assert not [p for p in (home / "exports").rglob("*") if p.is_file()]  # streamed once, gone

    # uploads: one imported (a job row names the file), one partial, one complete but not submitted
    raw = _mail(5, tok)
    for received, finish in ((len(raw), True), (len(raw) // 2, False), (len(raw), False)):
        resp = api.post(f"/api/v1/customers/{customer.id}/uploads",
                        {"filename": tok["upload"], "size": len(raw), "mailbox": tok["mailbox"]},
                        content_type="application/json", **_bearer(secret))
        assert resp.status_code == 201, resp.content
        upload_id = resp.json()["id"]
        resp = api.put(f"/api/v1/uploads/{upload_id}?offset=0", raw[:received],
                       content_type="application/octet-stream", **_bearer(secret))
        assert resp.status_code == 200 and resp.json()["received"] == received
        if finish:
            resp = api.post(f"/api/v1/uploads/{upload_id}/complete", **_bearer(secret))
            assert resp.status_code == 202
    assert Upload.objects.filter(customer=customer).count() == 3
    assert Job.objects.filter(customer_id=customer.id, kind="archive.import", state="succeeded").exists()
    assert Message.objects.filter(customer=customer).count() == 4

    # SMTP journaling: one item waiting in the spool, one parked as failed
    spool = Spool(runtime.settings().spool_path)
    envelope = Envelope(mail_from="sender@supplier.example", rcpt_tos=[tok["mailbox"]], customer=customer.id,
                        received_at=datetime.now(UTC).isoformat(), peer="127.0.0.1")
    spool.put(envelope, _mail(6, tok))
    spool.put(envelope, _mail(7, tok))
    spool.fail(spool.claim(1)[0], f"test failure for {tok['mailbox']}")

    assert rows_mentioning([admin.email]).keys() - {"audit_auditevent", "accounts_user"}, "sign-in records expected"
    needles = [v.encode() for v in tok.values()]
    roots = [home, Path(tempfile.gettempdir())]
    assert files_containing([home], needles, start), "the setup should have left traces to remove"

    assert Session.objects.filter(session_key=web.session.session_key).exists()
    with django_capture_on_commit_callbacks(execute=True):
        job = customers.request_deletion(customer, confirmation=customer.name, actor=admin)
    job.refresh_from_db()
    assert job.state == "succeeded", job.error
    assert DeletionRecord.objects.filter(customer_id=customer.id).count() == 1

    assert files_containing(roots, needles, start) == []
    assert not list((home / "uploads").iterdir())
    assert not (home / "exports" / customer.id).exists()
    assert not Session.objects.filter(session_key=web.session.session_key).exists()
    leftovers = rows_mentioning([customer.id, admin.email, *tok.values()])
    jobs = leftovers.pop("jobs_job", [])
    assert [j["kind"] for j in jobs] == ["customer.delete"]
    assert set(leftovers) <= ALLOWED_TABLES, {t: rows[:2] for t, rows in leftovers.items()}


def test_export_files_live_under_home_and_expire(home_customer):
    customer = home_customer
    path = export_files.new_path(customer.id, "export.mbox")
    assert path.parent.parent == runtime.settings().home / "exports" / customer.id
    path.write_bytes(b"From x\n")
    assert oct(path.parent.stat().st_mode & 0o777) == oct(0o700)
    fresh = export_files.new_path(customer.id, "fresh.zip")
    fresh.write_bytes(b"zip")
    old = time.time() - 7200
    os.utime(path, (old, old))
    assert schedules.purge_expired_exports.call_local() == 1  # the periodic job, lifetime from the settings
    assert not path.exists() and not path.parent.exists()
    assert fresh.exists()
    with export_files.open_once(fresh) as handle:
        assert not fresh.exists() and not fresh.parent.exists()
        assert handle.read() == b"zip"
    assert export_files.purge_expired(3600) == 0
