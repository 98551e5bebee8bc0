"""The import page and a resumable upload through the dashboard session (cookie + X-CSRFToken),
exactly as static/kustos/upload.js does it, then the import job archives the mail."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from kustos.archive.models import Message, Upload
from kustos.jobs.models import Job
from tests import factories
from tests.integration.web.session import sign_in
from tests.integration.web_archive.conftest import make_mail

pytestmark = pytest.mark.django_db


def _mbox(n: int) -> bytes:
    base = datetime(2023, 5, 1, 8, 0, tzinfo=timezone.get_current_timezone())
    out = b""
    for i in range(n):
        raw = make_mail(500 + i, "kunde@extern.example", "import@kunde.example", f"Altbestand {i}",
                        f"Importierter Text {i}", base + timedelta(days=i))
        out += b"From kunde@extern.example Mon May  1 08:00:00 2023\n" + raw.replace(b"\r\n", b"\n") + b"\n"
    return out


def test_import_page_renders_upload_form(archive_customer):
    client = sign_in(Client(), factories.user("admin@kunde.example", "customer_admin", customer=archive_customer))
    resp = client.get(f"/customers/{archive_customer.id}/import/")
    html = resp.content.decode()
    assert resp.status_code == 200
    assert f'data-upload data-customer="{archive_customer.id}" data-chunk="8388608"' in html
    assert "/static/kustos/upload.js" in html and "csrfmiddlewaretoken" in html
    assert "csrftoken" in resp.cookies
    assert "No uploads yet." in html


def test_resumable_upload_with_dashboard_session(archive_customer, django_capture_on_commit_callbacks):
    user = factories.user("admin@kunde.example", "customer_admin", customer=archive_customer)
    client = sign_in(Client(enforce_csrf_checks=True), user)
    client.get(f"/customers/{archive_customer.id}/import/")
    csrf = client.cookies["csrftoken"].value
    data = _mbox(5)
    # Without the CSRF header the session may not create uploads.
    denied = client.post(f"/api/v1/customers/{archive_customer.id}/uploads",
                         json.dumps({"filename": "alt.mbox", "size": len(data), "mailbox": "import@kunde.example"}),
                         content_type="application/json")
    assert denied.status_code in (401, 403)
    created = client.post(f"/api/v1/customers/{archive_customer.id}/uploads",
                          json.dumps({"filename": "alt.mbox", "size": len(data), "mailbox": "import@kunde.example"}),
                          content_type="application/json", HTTP_X_CSRFTOKEN=csrf)
    assert created.status_code == 201, created.content
    up = created.json()["id"]
    half = len(data) // 2
    first = client.put(f"/api/v1/uploads/{up}?offset=0", data[:half], content_type="application/octet-stream",
                       HTTP_X_CSRFTOKEN=csrf)
    assert first.status_code == 200 and first.json()["received"] == half
    # A retried chunk from the wrong offset is refused; the client then asks where to resume.
    stale = client.put(f"/api/v1/uploads/{up}?offset=0", data[:half], content_type="application/octet-stream",
                       HTTP_X_CSRFTOKEN=csrf)
    assert stale.status_code == 422
    received = client.get(f"/api/v1/uploads/{up}").json()["received"]
    assert received == half
    second = client.put(f"/api/v1/uploads/{up}?offset={received}", data[received:],
                        content_type="application/octet-stream", HTTP_X_CSRFTOKEN=csrf)
    assert second.json()["received"] == len(data)
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(f"/api/v1/uploads/{up}/complete", HTTP_X_CSRFTOKEN=csrf)
    assert done.status_code == 202
    job = Job.objects.get(id=done.json()["id"])
    assert job.state == "succeeded", job.error
    assert Message.objects.filter(customer=archive_customer, subject__startswith="Altbestand").count() == 5
    assert Upload.objects.get(id=up).job_id == job.id
    html = client.get(f"/customers/{archive_customer.id}/import/").content.decode()
    assert "alt.mbox" in html and f"/jobs/{job.id}/" in html
    search = client.get("/archive/search/", {"q": "altbestand"}).content.decode()
    assert 'data-testid="archive-count">5 messages' in search
