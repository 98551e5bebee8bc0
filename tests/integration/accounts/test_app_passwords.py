"""App passwords (read-only IMAP access for mail clients): the service, the CLI, the REST API and the
dashboard page. The secret is shown once and stored as a Django password hash; end users have them
only while their customer admin allows IMAP self-service."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.hashers import check_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import Client

from kustos.accounts.models import AppPassword
from kustos.accounts.services import app_passwords, tokens
from kustos.audit.models import AuditEvent
from kustos.cli import registry
from kustos.tenants.models import SelfService
from tests import factories
from tests.integration.web.session import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    customer = factories.customer(factories.partner("AP Partner"), "AP Kunde")
    anna = factories.user("anna@kunde.example", "end_user", customer=customer)
    ben = factories.user("ben@kunde.example", "end_user", customer=customer)
    admin = factories.user("admin@kunde.example", "customer_admin", customer=customer)
    return customer, anna, ben, admin


def test_service_create_list_revoke_and_authenticate(people):
    customer, anna, ben, _ = people
    row, secret = app_passwords.create(anna, "  Thunderbird ")
    assert row.name == "Thunderbird" and secret.startswith("kap_") and len(secret) > 30
    stored = AppPassword.objects.get(id=row.id)
    assert secret not in stored.secret_hash and check_password(secret, stored.secret_hash)
    assert app_passwords.authenticate(anna, secret).id == row.id
    assert app_passwords.authenticate(ben, secret) is None  # bound to its user
    wrong = secret[:-1] + ("y" if secret.endswith("x") else "x")  # one character off (never the secret itself)
    assert app_passwords.authenticate(anna, wrong) is None
    assert [r.id for r in app_passwords.list_for(anna)] == [row.id] and not app_passwords.list_for(ben).exists()
    with pytest.raises(Http404):
        app_passwords.revoke(ben, row.id)  # not ben's
    app_passwords.revoke(anna, row.id)
    assert app_passwords.authenticate(anna, secret) is None
    actions = list(AuditEvent.objects.filter(target=row.id).order_by("seq").values_list("action", flat=True))
    assert actions == ["app_password.create", "app_password.revoke"]
    assert not AuditEvent.objects.filter(detail__icontains=secret).exists()
    with pytest.raises(ValidationError, match="needs a name"):
        app_passwords.create(anna, "   ")
    with pytest.raises(ValidationError, match="too long"):
        app_passwords.create(anna, "x" * 101)


def test_switch_off_blocks_end_users_but_not_admins(people):
    customer, anna, _, admin = people
    _, secret = app_passwords.create(anna, "phone")
    SelfService.objects.create(customer=customer, imap=False)
    with pytest.raises(PermissionDenied, match="turned off self-service imap"):
        app_passwords.create(anna, "laptop")
    assert app_passwords.authenticate(anna, secret) is None  # existing ones stop working too
    assert app_passwords.create(admin, "admin laptop")[1].startswith("kap_")


def test_cli_create_list_revoke(people, capsys):
    _, anna, _, _ = people
    assert registry.run(["user", "app-password", "create", "--user", anna.email, "--name", "mbsync", "--json"]) == 0
    made = json.loads(capsys.readouterr().out)
    assert made["password"].startswith("kap_") and made["active"] is True
    assert app_passwords.authenticate(anna, made["password"]).id == made["id"]
    assert registry.run(["user", "app-password", "list", "--user", anna.email, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == ["mbsync"] and "password" not in rows[0]
    assert registry.run(["user", "app-password", "revoke", "--user", anna.email, "--name", "mbsync", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["active"] is False
    assert registry.run(["user", "app-password", "revoke", "--user", anna.email, "--name", "mbsync"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("kustos: error: anna@kunde.example has no active app password named 'mbsync'")
    assert err.count("\n") == 1
    assert registry.run(["user", "app-password", "list", "--user", "nobody@x.example"]) == 1
    assert "no user with e-mail" in capsys.readouterr().err


def test_cli_refuses_when_the_switch_is_off(people, capsys):
    customer, anna, _, _ = people
    SelfService.objects.create(customer=customer, imap=False)
    assert registry.run(["user", "app-password", "create", "--user", anna.email, "--name", "x"]) == 1
    assert "turned off self-service imap" in capsys.readouterr().err


def test_api_create_list_revoke(people):
    customer, anna, ben, _ = people
    auth = {"HTTP_AUTHORIZATION": f"Bearer {tokens.create(anna, 't')[1]}"}
    client = Client()
    resp = client.post("/api/v1/me/app-passwords", {"name": "Thunderbird"}, content_type="application/json", **auth)
    assert resp.status_code == 201
    made = resp.json()
    assert made["password"].startswith("kap_") and made["name"] == "Thunderbird"
    listed = client.get("/api/v1/me/app-passwords", **auth).json()
    assert [r["id"] for r in listed] == [made["id"]] and "password" not in listed[0]
    bens = app_passwords.create(ben, "ben")[0]
    assert client.delete(f"/api/v1/me/app-passwords/{bens.id}", **auth).status_code == 404
    resp = client.delete(f"/api/v1/me/app-passwords/{made['id']}", **auth)
    assert resp.status_code == 200 and resp.json()["active"] is False
    resp = client.post("/api/v1/me/app-passwords", {"name": ""}, content_type="application/json", **auth)
    assert resp.status_code == 422 and "needs a name" in resp.content.decode()
    SelfService.objects.create(customer=customer, imap=False)
    resp = client.post("/api/v1/me/app-passwords", {"name": "x"}, content_type="application/json", **auth)
    assert resp.status_code == 403 and "turned off self-service imap" in resp.content.decode()


def test_dashboard_page_create_shows_secret_once_and_revoke(people):
    customer, anna, _, _ = people
    client = sign_in(Client(), anna)
    page = client.get("/account/").content.decode()
    assert 'href="/account/app-passwords/"' in page
    resp = client.post("/account/app-passwords/create/", {"name": "Thunderbird"})
    assert resp.status_code == 200
    html = resp.content.decode()
    row = AppPassword.objects.get(user=anna)
    secret = html.split('data-testid="new-app-password">', 1)[1].split("<", 1)[0]
    assert app_passwords.authenticate(anna, secret).id == row.id
    again = client.get("/account/app-passwords/").content.decode()
    assert secret not in again and "Thunderbird" in again and anna.email in again
    resp = client.post(f"/account/app-passwords/{row.id}/revoke/")
    assert resp.status_code == 302
    row.refresh_from_db()
    assert row.revoked_at is not None
    assert client.post("/account/app-passwords/create/", {"name": ""}).status_code == 400
    SelfService.objects.create(customer=customer, imap=False)
    off = client.get("/account/app-passwords/").content.decode()
    assert 'data-testid="imap-off"' in off and "/account/app-passwords/create/" not in off
    assert client.post("/account/app-passwords/create/", {"name": "x"}).status_code == 403


def test_dashboard_page_in_german(people):
    _, anna, _, _ = people
    anna.language = "de"
    anna.save(update_fields=["language"])
    client = sign_in(Client(), anna)
    client.cookies["django_language"] = "de"
    html = client.get("/account/app-passwords/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "App-Passwörter" in html and "Ihr Archiv im Mailprogramm lesen (IMAP)" in html
    assert "App-Passwort erstellen" in html
