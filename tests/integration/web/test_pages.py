"""Dashboard flows through the real views: customer table (search, sort, paging, htmx
partials), create/edit/delete with a wipe job, users and grants, operator pages, API
tokens, role limits, language and the Content-Security-Policy."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from kustos.accounts.models import User
from kustos.audit.models import AuditEvent
from kustos.jobs import tasks
from kustos.jobs.models import Job
from kustos.tenants.models import Customer, DeletionRecord, Partner, StorageLocation
from tests import factories
from tests.integration.web.session import sign_in

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def partner():
    return factories.partner("Page Partner")


@pytest.fixture
def admin(client: Client, partner):
    user = factories.user("admin@page-partner.example", "partner_admin", partner=partner, totp=True)
    sign_in(client, user)
    return user


def _rows(html: str) -> list[str]:
    return re.findall(r'<a class="primary" href="/customers/cu_\w+/">([^<]+)</a>', html)


def test_customer_table_search_sort_and_paging(client: Client, admin, partner):
    for i in range(30):
        c = factories.customer(partner, f"Kunde {i:02d}")
        Customer.objects.filter(id=c.id).update(storage_bytes=i * 1024 ** 3, mailbox_count=i)
    other = factories.customer(factories.partner("Hidden Partner"), "Hidden Kunde")
    page = client.get("/customers/").content.decode()
    assert _rows(page) == [f"Kunde {i:02d}" for i in range(25)] and "Hidden Kunde" not in page
    assert "<html" in page and "1–25 of 30" in page
    second = client.get("/customers/?page=2", **HX)
    body = second.content.decode()
    assert "<html" not in body and _rows(body) == [f"Kunde {i:02d}" for i in range(25, 30)]
    assert "HX-Request" in second["Vary"]
    by_storage = _rows(client.get("/customers/?sort=-storage", **HX).content.decode())
    assert by_storage[:3] == ["Kunde 29", "Kunde 28", "Kunde 27"]
    assert "29.0\xa0GB" in client.get("/customers/?sort=-storage").content.decode()
    assert _rows(client.get("/customers/?q=kunde 1", **HX).content.decode()) == [f"Kunde {i}" for i in range(10, 20)]
    assert _rows(client.get("/customers/?q=hidden", **HX).content.decode()) == []
    assert "No customer matches your search" in client.get("/customers/?q=zzz", **HX).content.decode()
    assert client.get(f"/customers/{other.id}/").status_code == 404


def test_create_edit_and_delete_customer_through_a_job(client: Client, admin, partner):
    resp = client.post("/customers/new/", {"name": "", "location": "de-local-1"})
    assert resp.status_code == 400
    location = StorageLocation.objects.get()
    resp = client.post("/customers/new/", {"name": "Pseudonym 17", "location": location.id,
                                           "archiving_enabled": "on"})
    customer = Customer.objects.get(name="Pseudonym 17")
    assert resp.status_code == 302 and resp["Location"] == f"/customers/{customer.id}/"
    assert customer.partner == partner and customer.archiving_enabled and not customer.backup_enabled
    resp = client.post(f"/customers/{customer.id}/edit/", {"name": "Pseudonym 17", "legal_name": "Echt GmbH",
                                                            "backup_enabled": "on"})
    customer.refresh_from_db()
    assert resp.status_code == 302 and customer.legal_name == "Echt GmbH" and customer.backup_enabled
    assert not customer.archiving_enabled  # unchecked box = off
    detail = client.get(f"/customers/{customer.id}/").content.decode()
    assert "Echt GmbH" in detail and "Local storage (Germany)" in detail

    wrong = client.post(f"/customers/{customer.id}/delete/", {"confirm": "pseudonym 17"})
    assert wrong.status_code == 400 and "does not match" in wrong.content.decode()
    assert not Job.objects.filter(kind="customer.delete").exists()
    resp = client.post(f"/customers/{customer.id}/delete/", {"confirm": "Pseudonym 17"})
    job = Job.objects.get(kind="customer.delete")
    assert resp.status_code == 302 and resp["Location"] == f"/jobs/{job.id}/"
    assert Customer.objects.get(id=customer.id).status == Customer.Status.DELETING
    running = client.get(f"/jobs/{job.id}/", **HX).content.decode()
    assert 'hx-trigger="every 1s"' in running and 'data-state="queued"' in running
    tasks.execute(job.id)
    done = client.get(f"/jobs/{job.id}/", **HX).content.decode()
    record = DeletionRecord.objects.get(customer_id=customer.id)
    assert 'data-state="succeeded"' in done and "every 1s" not in done and record.id in done
    assert not Customer.objects.filter(id=customer.id).exists()
    assert "Pseudonym 17" in client.get("/jobs/").content.decode()
    actions = set(AuditEvent.objects.filter(target=customer.id).values_list("action", flat=True))
    assert {"customer.create", "customer.update", "customer.delete_requested", "customer.deleted"} <= actions


def test_partner_admin_manages_users_and_auditor_grants(client: Client, admin, partner):
    customer = factories.customer(partner, "User Kunde")
    resp = client.post("/users/new/", {"email": "Anna@User-Kunde.example", "role": "end_user",
                                       "customer": customer.id, "mailboxes": "anna@user-kunde.example, info@x.example"})
    anna = User.objects.get(email="anna@user-kunde.example")
    assert resp.status_code == 302 and anna.customer == customer and anna.partner is None
    assert anna.mailboxes == ["anna@user-kunde.example", "info@x.example"]
    assert len(mail.outbox) == 1 and "/password-reset/" in mail.outbox[0].body and mail.outbox[0].to == [anna.email]
    assert client.post("/users/new/", {"email": "op@x.example", "role": "operator"}).status_code == 400
    assert not User.objects.filter(email="op@x.example").exists()

    resp = client.post(f"/users/{anna.id}/role/", {"role": "customer_admin"})
    anna.refresh_from_db()
    assert resp.status_code == 302 and anna.role == "customer_admin"
    client.post(f"/users/{anna.id}/active/", {})
    anna.refresh_from_db()
    assert not anna.is_active
    assert client.post(f"/users/{admin.id}/active/", {}).status_code == 403  # never yourself

    client.post("/users/new/", {"email": "pruefer@tax.example", "role": "auditor", "customer": customer.id})
    auditor = User.objects.get(email="pruefer@tax.example")
    expires = (timezone.now() + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    resp = client.post(f"/users/{auditor.id}/grants/", {"customer": customer.id, "expires_at": expires,
                                                         "date_from": "2024-01-01", "date_to": "2024-12-31"})
    grant = auditor.grants.get()
    assert resp.status_code == 302 and str(grant.date_from) == "2024-01-01" and not grant.tax_relevant_only
    assert "Jan. 1, 2024" in client.get(f"/users/{auditor.id}/").content.decode()
    listing = client.get("/users/?q=pruefer", **HX).content.decode()
    assert "pruefer@tax.example" in listing and "anna@" not in listing


def test_operator_pages_partners_and_locations(client: Client):
    operator = factories.user("op@install.example", "operator", totp=True)
    sign_in(client, operator)
    resp = client.post("/partners/", {"name": "Neu Partner"})
    assert resp.status_code == 302 and "Neu Partner" in client.get("/partners/").content.decode()
    partner = Partner.objects.get(name="Neu Partner")
    client.post(f"/partners/{partner.id}/", {"name": "Neu Partner GmbH"})
    partner.refresh_from_db()
    assert partner.name == "Neu Partner GmbH"

    refused = client.post("/locations/", {"id": "us-east-1", "name": "Virginia", "country": "US"})
    assert refused.status_code == 400 and "outside the EU" in refused.content.decode()
    assert not StorageLocation.objects.filter(id="us-east-1").exists()
    ok = client.post("/locations/", {"id": "ch-zrh-1", "name": "Zürich", "country": "ch", "outside_eu_override": "on"})
    assert ok.status_code == 302 and StorageLocation.objects.get(id="ch-zrh-1").country == "CH"
    page = client.get("/locations/").content.decode()
    assert "outside EU (approved)" in page and "Zürich" in page
    resp = client.post("/customers/new/", {"partner": partner.id, "name": "Op Kunde", "location": "ch-zrh-1"})
    assert resp.status_code == 302 and Customer.objects.get(name="Op Kunde").location_id == "ch-zrh-1"


def test_api_token_from_dashboard_works_until_revoked(client: Client, admin):
    resp = client.post("/account/tokens/", {"name": "PSA"})
    secret = re.search(r'data-testid="new-token">(kst_[\w-]+)<', resp.content.decode()).group(1)
    assert secret not in client.get("/account/").content.decode()  # shown once
    api = Client()
    me = api.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert me.status_code == 200 and me.json()["email"] == admin.email
    token = admin.api_tokens.get(name="PSA")
    assert client.post(f"/account/tokens/{token.id}/revoke/").status_code == 302
    refused = api.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert refused.status_code == 401 and refused["Content-Type"] == "application/problem+json"
    assert refused.json()["status"] == 401


def test_end_user_cannot_reach_admin_pages(client: Client, partner):
    customer = factories.customer(partner, "EU Kunde")
    user = factories.user("eve@eu-kunde.example", "end_user", customer=customer)
    sign_in(client, user)
    home = client.get("/").content.decode()
    assert 'href="/customers/"' not in home and 'href="/users/"' not in home and 'href="/jobs/"' not in home
    for url in ("/customers/", "/customers/new/", f"/customers/{customer.id}/", f"/customers/{customer.id}/edit/",
                f"/customers/{customer.id}/delete/", "/users/", "/users/new/", "/jobs/", "/partners/",
                "/locations/"):
        assert client.get(url).status_code == 403, url
    assert client.post("/customers/new/", {"name": "x"}).status_code == 403
    assert "eve@eu-kunde.example" in home  # own mailbox listed on the overview


def test_language_switch_and_account_preference(client: Client, admin):
    client.post("/i18n/setlang/", {"language": "de", "next": "/customers/"})
    page = client.get("/customers/").content.decode()
    assert "<h1>Kunden</h1>" in page and "Belegter Speicher" in page and "Neuer Kunde" in page
    client.post("/account/language/", {"language": "en"})
    admin.refresh_from_db()
    assert admin.language == "en" and "<h1>Customers</h1>" in client.get("/customers/").content.decode()


def test_pages_carry_csp_and_no_inline_code(client: Client, admin, partner):
    customer = factories.customer(partner, "CSP Kunde")
    for url in ("/", "/customers/", "/customers/new/", f"/customers/{customer.id}/", "/users/", "/jobs/",
                "/account/", "/help/", "/login/otp/"):
        resp = client.get(url, follow=True)
        html = resp.content.decode()
        assert "script-src 'self'" in resp["Content-Security-Policy"], url
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), f"inline script on {url}"
        assert not re.search(r"\sstyle=", html) and "<style" not in html, f"inline style on {url}"
        assert not re.search(r"\son[a-z]+=", html), f"inline event handler on {url}"


def test_api_docs_load_no_external_assets(client: Client):
    html = client.get("/api/v1/docs").content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(a.startswith("/static/") for a in assets), assets


def test_admin_resets_a_lost_second_factor(client: Client, admin, partner):
    tech = factories.user("tech@page-partner.example", "partner_tech", partner=partner, totp=True)
    assert "Reset two-factor" in client.get(f"/users/{tech.id}/").content.decode()
    assert client.post(f"/users/{tech.id}/2fa-reset/").status_code == 302
    assert not tech.totpdevice_set.exists()
    assert AuditEvent.objects.filter(action="auth.2fa_reset", target=tech.id).exists()
    other = Client()
    resp = other.post("/login/", {"email": tech.email, "password": factories.PASSWORD})
    assert resp.status_code == 302 and resp["Location"] == "/account/2fa/setup/"
