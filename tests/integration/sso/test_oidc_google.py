"""OpenID Connect sign-in through the emulated Google (fakecloud, a real process): hosted-domain
restriction, unverified e-mail refused, e-mail-first discovery, the policy's session age."""

from __future__ import annotations

import pytest
from django.test import Client

from kustos.accounts.models import User
from kustos.audit.models import AuditEvent
from kustos.sso.services import providers
from tests import factories
from tests.integration.sso.oidc_helpers import REDIRECT_URI, sign_in

pytestmark = pytest.mark.django_db

DOMAIN = "kunde-google.example"


@pytest.fixture
def setup(provider_cloud):
    control = provider_cloud.control
    app = control.oidc_client("google", [REDIRECT_URI])
    customer = factories.customer(factories.partner("Google Partner"), "Google Kunde")
    provider = providers.create(customer, kind="google", name="Google Workspace", secret=app["client_secret"],
                                config={"client_id": app["client_id"], "discovery_url": app["discovery_url"],
                                        "hosted_domain": DOMAIN, "email_domains": [DOMAIN],
                                        "create_users": True, "default_role": "end_user"}, actor="test")
    return control, provider, customer


def _failures(reason: str) -> int:
    return AuditEvent.objects.filter(action="sso.sign_in_failed", detail__reason=reason).count()


def test_workspace_user_signs_in_with_its_address_as_mailbox_and_the_policy_session_age(setup):
    control, provider, customer = setup
    providers.set_policy(customer, session_max_age_hours=2, actor="test")
    control.oidc_user("google", f"mia@{DOMAIN}", name="Mia")
    factories.user(f"mia@{DOMAIN}", "end_user", customer=customer)
    User.objects.filter(email=f"mia@{DOMAIN}").update(mailboxes=["shared@kunde-google.example"])
    client = Client()
    assert sign_in(client, provider.id, f"mia@{DOMAIN}")["Location"] == "/"
    user = User.objects.get(email=f"mia@{DOMAIN}")
    # the admin-assigned mailbox stays; the provider's address is added
    assert user.mailboxes == ["shared@kunde-google.example", f"mia@{DOMAIN}"]
    assert 2 * 3600 - 5 <= client.session.get_expiry_age() <= 2 * 3600
    assert client.get("/").status_code == 200
    assert User.objects.filter(customer=customer).count() == 1  # matched, not created


def test_unverified_email_is_refused(setup):
    control, provider, _ = setup
    control.oidc_user("google", f"unverified@{DOMAIN}", email_verified=False)
    assert sign_in(Client(), provider.id, f"unverified@{DOMAIN}")["Location"] == "/login/"
    assert not User.objects.filter(email=f"unverified@{DOMAIN}").exists()
    assert _failures("email_unverified") == 1


def test_account_outside_the_hosted_domain_is_refused(setup):
    control, provider, _ = setup
    control.oidc_user("google", "someone@gmail.com")
    control.oidc_user("google", "boss@other-company.example")
    assert sign_in(Client(), provider.id, "someone@gmail.com")["Location"] == "/login/"
    assert sign_in(Client(), provider.id, "boss@other-company.example")["Location"] == "/login/"
    assert _failures("domain_not_allowed") == 2
    assert User.objects.count() == 0


def test_email_first_discovery_routes_to_the_provider_or_back_to_the_login_page(setup):
    _, provider, _ = setup
    client = Client()
    found = client.get("/sso/discover", {"email": f"anna@{DOMAIN.upper()}"})
    assert found.status_code == 302 and found["Location"].startswith(f"/sso/{provider.id}/start?")
    assert "login_hint=anna%40" in found["Location"]
    start = client.get(found["Location"])
    assert start.status_code == 302 and "login_hint=anna%40" in start["Location"]
    assert "hd=" + DOMAIN in start["Location"]
    unknown = client.get("/sso/discover", {"email": "anna@elsewhere.example"})
    assert unknown.status_code == 302 and unknown["Location"].startswith("/login/")
    assert "No single sign-on is set up" in client.get(unknown["Location"]).content.decode()


def test_disabled_provider_does_not_start(setup):
    _, provider, _ = setup
    providers.update(provider, enabled=False, actor="test")
    client = Client()
    response = client.get(f"/sso/{provider.id}/start")
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert "is disabled" in client.get("/login/").content.decode()


def test_unknown_user_without_account_creation_is_refused_in_german(setup):
    control, provider, _ = setup
    providers.update(provider, config={**provider.config, "create_users": False}, actor="test")
    control.oidc_user("google", f"new@{DOMAIN}")
    client = Client(HTTP_ACCEPT_LANGUAGE="de")
    assert sign_in(client, provider.id, f"new@{DOMAIN}")["Location"] == "/login/"
    assert f"Für new@{DOMAIN} gibt es kein Kustos-Konto" in client.get("/login/").content.decode()
    assert _failures("unknown_user") == 1 and not User.objects.filter(email=f"new@{DOMAIN}").exists()


def test_generic_provider_by_discovery_url(provider_cloud):
    control = provider_cloud.control
    app = control.oidc_client("google", [REDIRECT_URI])
    partner = factories.partner("Generic Partner")
    provider = providers.create(partner, kind="oidc", name="Company IdP", secret=app["client_secret"],
                                config={"client_id": app["client_id"], "discovery_url": app["discovery_url"],
                                        "create_users": True, "default_role": "partner_tech"}, actor="test")
    control.oidc_user("google", "ops@generic-partner.example", name="Ops")
    assert sign_in(Client(), provider.id, "ops@generic-partner.example").status_code == 302
    user = User.objects.get(email="ops@generic-partner.example")
    assert (user.partner_id, user.customer_id, user.role, user.mailboxes) == (partner.id, None, "partner_tech", [])


def test_without_a_role_map_an_existing_admin_keeps_the_role(setup):
    control, provider, customer = setup
    factories.user(f"chef@{DOMAIN}", "customer_admin", customer=customer)
    control.oidc_user("google", f"chef@{DOMAIN}")
    assert sign_in(Client(), provider.id, f"chef@{DOMAIN}")["Location"] == "/"
    assert User.objects.get(email=f"chef@{DOMAIN}").role == "customer_admin"
    assert not AuditEvent.objects.filter(action="sso.role_change").exists()
