"""Managing single sign-on: identity providers of a partner and of a customer through the REST API, the
dashboard and the `kustos sso` CLI (scope, write-only secret, kind-specific settings, audit), the sign-in
policy (local passwords off only with an enabled provider; the last one cannot be disabled then) and its
enforcement at password sign-in, the sign-in page's buttons and e-mail-first field, and "test connection"
against the emulated Entra ID (a real fakecloud process)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from kustos.accounts.services import tokens
from kustos.audit.models import AuditEvent
from kustos.core.secrets import open_secret
from kustos.sso.models import IdentityProvider, SignInPolicy
from kustos.sso.services import admin, signin_policy
from tests import factories
from tests.integration.sso.oidc_helpers import REDIRECT_URI
from tests.integration.web.session import sign_in

pytestmark = pytest.mark.django_db

TID = "7f3c1e52-aaaa-4bbb-8ccc-00000000a001"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world():
    partner = factories.partner("SSO Admin Partner")
    other = factories.partner("Other Partner")
    customer = factories.customer(partner, "Kunde SSO")
    foreign = factories.customer(other, "Fremdkunde")
    users = {
        "pa": factories.user("pa@alpha.example", "partner_admin", partner=partner, totp=True),
        "pt": factories.user("pt@alpha.example", "partner_tech", partner=partner, totp=True),
        "ca": factories.user("ca@kunde.example", "customer_admin", customer=customer),
        "eu": factories.user("eu@kunde.example", "end_user", customer=customer, mailboxes=["eu@kunde.example"]),
        "op": factories.user("op@kustos.example", "operator", totp=True),
    }
    secrets = {who: tokens.create(u, "t")[1] for who, u in users.items()}
    return {"partner": partner, "other": other, "customer": customer, "foreign": foreign, "users": users,
            "secrets": secrets}


def _api(world, who, method, path, body=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {world['secrets'][who]}"}
    call = getattr(Client(), method)
    if body is None:
        return call("/api/v1" + path, **headers)
    return call("/api/v1" + path, json.dumps(body), content_type="application/json", **headers)


ENTRA = {"kind": "entra", "name": "Kunde Entra", "secret": "s3cr3t-value-123",
         "config": {"client_id": "app-1", "tenant_ids": [TID], "email_domains": ["Kunde.example"],
                    "create_users": True, "default_role": "end_user", "show_on_login": True,
                    "role_map": [{"group": "admins", "role": "customer_admin"}]}}


def test_api_add_read_change_remove_with_a_write_only_secret(world):
    cid = world["customer"].id
    created = _api(world, "ca", "post", f"/customers/{cid}/sso-providers", ENTRA)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["secret_set"] is True and "s3cr3t" not in created.content.decode()
    assert body["config"]["email_domains"] == ["kunde.example"]  # normalised
    provider = IdentityProvider.objects.get(id=body["id"])
    assert provider.customer_id == cid and open_secret(provider.secret_sealed, provider.owner_ref) == "s3cr3t-value-123"
    listed = _api(world, "pa", "get", f"/customers/{cid}/sso-providers")
    assert [p["id"] for p in listed.json()] == [provider.id] and "s3cr3t" not in listed.content.decode()
    # A partial change keeps the secret and the other settings; null removes a setting.
    changed = _api(world, "ca", "patch", f"/sso-providers/{provider.id}",
                   {"name": "Entra ID", "config": {"show_on_login": False, "role_map": None}})
    assert changed.status_code == 200, changed.content
    provider.refresh_from_db()
    assert provider.name == "Entra ID" and provider.config["show_on_login"] is False
    assert "role_map" not in provider.config and provider.config["client_id"] == "app-1"
    assert open_secret(provider.secret_sealed, provider.owner_ref) == "s3cr3t-value-123"
    events = AuditEvent.objects.filter(target=provider.id).order_by("seq")
    assert [e.action for e in events] == ["sso.provider.create", "sso.provider.update"]
    assert all("s3cr3t" not in json.dumps(e.detail) for e in events)
    gone = _api(world, "ca", "delete", f"/sso-providers/{provider.id}")
    assert gone.status_code == 200 and not IdentityProvider.objects.filter(id=provider.id).exists()


def test_api_refuses_bad_settings_with_a_clear_message(world):
    cid = world["customer"].id
    wrong_key = _api(world, "ca", "post", f"/customers/{cid}/sso-providers",
                     {**ENTRA, "config": {"client_id": "x", "hosted_domain": "kunde.example"}})
    assert wrong_key.status_code == 422 and "hosted_domain" in wrong_key.json()["detail"]
    wrong_role = _api(world, "ca", "post", f"/customers/{cid}/sso-providers",
                      {**ENTRA, "config": {"client_id": "x", "default_role": "partner_admin"}})
    assert wrong_role.status_code == 422 and "default_role" in wrong_role.json()["detail"]
    no_client = _api(world, "ca", "post", f"/customers/{cid}/sso-providers", {**ENTRA, "config": {}})
    assert no_client.status_code == 422 and "client_id" in no_client.json()["detail"]
    bad_kind = _api(world, "ca", "post", f"/customers/{cid}/sso-providers", {**ENTRA, "kind": "saml"})
    assert bad_kind.status_code == 422 and "kind" in bad_kind.json()["detail"]
    assert IdentityProvider.objects.count() == 0


def test_scope_partner_staff_and_customer_roles(world):
    cid, fid, pid = world["customer"].id, world["foreign"].id, world["partner"].id
    assert _api(world, "pa", "post", f"/partners/{pid}/sso-providers",
                {**ENTRA, "name": "Staff", "config": {"client_id": "a", "default_role": "partner_tech"}}).status_code == 201
    assert _api(world, "pa", "get", f"/customers/{fid}/sso-providers").status_code == 404
    assert _api(world, "pt", "get", f"/customers/{cid}/sso-providers").status_code == 403
    assert _api(world, "eu", "get", f"/customers/{cid}/sso-providers").status_code == 403
    assert _api(world, "ca", "get", f"/partners/{pid}/sso-providers").status_code == 404
    assert _api(world, "pa", "get", f"/partners/{world['other'].id}/sso-providers").status_code == 404
    foreign = admin.create(world["foreign"], kind="google", name="G", config={"client_id": "g"}, actor="test")
    assert _api(world, "pa", "get", f"/sso-providers/{foreign.id}").status_code == 404
    assert _api(world, "ca", "delete", f"/sso-providers/{foreign.id}").status_code == 404
    assert _api(world, "op", "get", f"/sso-providers/{foreign.id}").status_code == 200
    assert IdentityProvider.objects.filter(id=foreign.id).exists()


def test_policy_local_passwords_off_needs_an_enabled_provider_and_is_enforced(world):
    cid = world["customer"].id
    refused = _api(world, "ca", "put", f"/customers/{cid}/sign-in-policy", {"local_passwords": False})
    assert refused.status_code == 422 and "single sign-on provider" in refused.json()["detail"]
    assert Client().post("/login/", {"email": "eu@kunde.example", "password": factories.PASSWORD}).status_code == 302
    provider = admin.create(world["customer"], actor="test", **ENTRA)
    ok = _api(world, "ca", "put", f"/customers/{cid}/sign-in-policy",
              {"local_passwords": False, "session_max_age_hours": 4})
    assert ok.status_code == 200 and ok.json()["local_passwords"] is False and ok.json()["session_max_age_hours"] == 4
    # The end user's correct password is refused, with a message pointing to single sign-on.
    page = Client().post("/login/", {"email": "eu@kunde.example", "password": factories.PASSWORD})
    assert page.status_code == 200 and "single sign-on" in page.content.decode()
    assert AuditEvent.objects.filter(action="auth.login_failed", detail__reason="local_passwords_off").count() == 1
    # Other owners and the operator (break-glass) still sign in with their passwords.
    assert Client().post("/login/", {"email": "pa@alpha.example", "password": factories.PASSWORD}).status_code == 302
    assert Client().post("/login/", {"email": "op@kustos.example", "password": factories.PASSWORD}).status_code == 302
    # The last enabled provider can be neither disabled nor removed while local passwords are off.
    off = _api(world, "ca", "patch", f"/sso-providers/{provider.id}", {"enabled": False})
    assert off.status_code == 422 and "local passwords" in off.json()["detail"]
    assert _api(world, "ca", "delete", f"/sso-providers/{provider.id}").status_code == 422
    assert IdentityProvider.objects.get(id=provider.id).enabled
    # Back on: a password sign-in works again, and its session has the policy's maximum age.
    assert _api(world, "ca", "put", f"/customers/{cid}/sign-in-policy", {"local_passwords": True}).status_code == 200
    client = Client()
    assert client.post("/login/", {"email": "eu@kunde.example", "password": factories.PASSWORD}).status_code == 302
    assert 4 * 3600 - 5 <= client.session.get_expiry_age() <= 4 * 3600
    assert SignInPolicy.objects.get(customer_id=cid).local_passwords is True
    assert AuditEvent.objects.filter(action="sso.policy.update", customer_id=cid).count() == 2


def test_sso_mfa_session_skips_the_second_factor_only_when_asserted(world):
    pa = world["users"]["pa"]
    client = Client()
    client.force_login(pa, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get("/customers/")["Location"].startswith("/login/otp/")  # TOTP still owed
    session = client.session
    session["sso_mfa"] = True
    session.save()
    assert client.get("/customers/").status_code == 200
    assert _api_session(client, f"/customers/{world['customer'].id}/sso-providers").status_code == 200


def _api_session(client: Client, path: str):
    return client.get("/api/v1" + path)


def test_dashboard_pages_add_toggle_policy_and_remove(world):
    customer = world["customer"]
    client = sign_in(Client(), world["users"]["ca"])
    page = client.get(f"/customers/{customer.id}/sso/")
    assert page.status_code == 200 and "Add an identity provider" in page.content.decode()
    added = client.post(f"/customers/{customer.id}/sso/", {
        "form": "add", "kind": "entra", "name": "Kunde Entra", "client_id": "app-9", "secret": "pw-secret-9",
        "tenant_ids": TID, "email_domains": "kunde.example\nkunde.de", "default_role": "end_user",
        "role_map": "admins=customer_admin", "show_on_login": "on", "search_base": "ignored for entra"})
    assert added.status_code == 302, added.content.decode()[:2000]
    provider = IdentityProvider.objects.get(customer=customer)
    assert provider.config["email_domains"] == ["kunde.example", "kunde.de"]
    assert provider.config["role_map"] == [{"group": "admins", "role": "customer_admin"}]
    assert "search_base" not in provider.config and provider.secret_sealed
    edit = client.get(f"/sso-providers/{provider.id}/").content.decode()
    assert "pw-secret-9" not in edit and "A secret is stored." in edit and "Search base" not in edit
    assert client.post(f"/customers/{customer.id}/sso/policy/",
                       {"form": "policy", "session_max_age_hours": "8"}).status_code == 302
    assert SignInPolicy.objects.get(customer=customer).local_passwords is False
    listing = client.get(f"/customers/{customer.id}/sso/").content.decode()
    assert "Kunde Entra" in listing
    # Disabling the only provider while local passwords are off is refused on the page too.
    client.post(f"/sso-providers/{provider.id}/enabled/", {"enabled": "off"})
    assert IdentityProvider.objects.get(id=provider.id).enabled is True
    client.post(f"/customers/{customer.id}/sso/policy/", {"form": "policy", "local_passwords": "on",
                                                         "session_max_age_hours": "8"})
    client.post(f"/sso-providers/{provider.id}/enabled/", {"enabled": "off"})
    assert IdentityProvider.objects.get(id=provider.id).enabled is False
    assert client.post(f"/sso-providers/{provider.id}/remove/").status_code == 302
    assert not IdentityProvider.objects.filter(id=provider.id).exists()
    # Partner technicians do not manage SSO; other partners' customers do not exist for a partner admin.
    assert sign_in(Client(), world["users"]["pt"]).get(f"/customers/{customer.id}/sso/").status_code == 403
    assert sign_in(Client(), world["users"]["pa"]).get(f"/customers/{world['foreign'].id}/sso/").status_code == 404


def test_sign_in_page_shows_buttons_and_the_email_first_field(world):
    plain = Client().get("/login/")
    assert "sso-discover" not in plain.content.decode()
    assert "form-action 'self';" in plain["Content-Security-Policy"]
    admin.create(world["customer"], actor="test", **ENTRA)
    admin.create(world["partner"], kind="google", name="Alpha Google", actor="test",
                 config={"client_id": "g", "show_on_login": False, "email_domains": ["alpha.example"]})
    response = Client().get("/login/")
    page = response.content.decode()
    assert "Sign in with Kunde Entra" in page and "Alpha Google" not in page
    # The e-mail-first form's redirect to the provider is allowed by the page's form-action.
    assert ("form-action 'self' https://accounts.google.com https://login.microsoftonline.com;"
            in response["Content-Security-Policy"])
    assert 'action="/sso/discover"' in page and "Sign in with your organisation" in page
    german = Client(HTTP_ACCEPT_LANGUAGE="de").get("/login/", HTTP_COOKIE="django_language=de").content.decode()
    assert "Mit Ihrer Organisation anmelden" in german and "Anmelden mit Kunde Entra" in german


def test_test_connection_against_the_emulated_entra(world, provider_cloud):
    app = provider_cloud.control.oidc_client("ms", [REDIRECT_URI], tenant=TID)
    provider = admin.create(world["customer"], kind="entra", name="Contoso", secret=app["client_secret"], actor="test",
                            config={"client_id": app["client_id"], "discovery_url": app["common_discovery_url"],
                                    "tenant_ids": [TID]})
    result = _api(world, "ca", "post", f"/sso-providers/{provider.id}/test")
    assert result.status_code == 200, result.content
    body = result.json()
    assert body["ok"] is True and body["keys"] >= 1 and body["jwks_uri"].startswith(provider_cloud.base_url)
    assert body["issuer"].endswith("/v2.0")
    broken = admin.create(world["customer"], kind="oidc", name="Broken", actor="test",
                          config={"client_id": "x", "discovery_url": provider_cloud.base_url + "/nothing-here"})
    failed = _api(world, "ca", "post", f"/sso-providers/{broken.id}/test").json()
    assert failed["ok"] is False and "HTTP 404" in failed["message"]
    assert AuditEvent.objects.filter(action="sso.provider.test", outcome="failed", target=broken.id).count() == 1
    ldap = admin.create(world["customer"], kind="ldap", name="AD", actor="test",
                        config={"url": "ldaps://127.0.0.1:1", "search_base": "dc=kunde,dc=example",
                                "bind_dn": "cn=svc,dc=kunde,dc=example"}, secret="pw")
    answer = _api(world, "ca", "post", f"/sso-providers/{ldap.id}/test").json()
    assert answer["ok"] is False and answer["message"]


def test_policy_helpers_name_whose_policy_applies(world):
    users = world["users"]
    assert signin_policy.policy_owner(users["op"]) is None
    assert signin_policy.policy_owner(users["pa"]) == world["partner"]
    assert signin_policy.policy_owner(users["eu"]) == world["customer"]
    assert signin_policy.password_allowed(users["eu"]) is True


def test_navigation_leads_each_manager_to_its_own_settings(world):
    users = world["users"]
    ca = sign_in(Client(), users["ca"])
    assert 'href="/sso-settings/"' in ca.get("/").content.decode()
    assert ca.get("/sso-settings/")["Location"] == f"/customers/{world['customer'].id}/sso/"
    pa = sign_in(Client(), users["pa"])
    assert pa.get("/sso-settings/")["Location"] == f"/partners/{world['partner'].id}/sso/"
    page = pa.get(f"/partners/{world['partner'].id}/sso/").content.decode()
    assert f'href="/customers/{world["customer"].id}/sso/"' in page and world["foreign"].name not in page
    assert sign_in(Client(), users["op"]).get("/sso-settings/")["Location"] == "/partners/"
    eu = sign_in(Client(), users["eu"])
    assert 'href="/sso-settings/"' not in eu.get("/archive/search/").content.decode()
    assert eu.get("/sso-settings/").status_code == 403


def test_settings_pages_in_german(world):
    provider = admin.create(world["customer"], actor="test", **ENTRA)
    client = sign_in(Client(), world["users"]["ca"])
    client.cookies["django_language"] = "de"
    page = client.get(f"/customers/{world['customer'].id}/sso/").content.decode()
    for text in ("Identitätsanbieter hinzufügen", "Anmelderichtlinie", "Verbindung testen", "Deaktivieren",
                 "Benutzer dürfen sich mit einem Kustos-Passwort anmelden", "Gruppe zu Rolle"):
        assert text in page, text
    edit = client.get(f"/sso-providers/{provider.id}/").content.decode()
    assert "Ein Geheimnis ist gespeichert." in edit and "Zugelassene Entra-ID-Mandanten-IDs" in edit
