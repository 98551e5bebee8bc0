"""OpenID Connect sign-in through the emulated Microsoft Entra ID (fakecloud, a real process): the
code flow with PKCE, ID-token verification against the provider's JWKS, tenant restriction, group →
role mapping, mailboxes from Graph /me, and the failure cases (each refused and audited)."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from kustos.accounts.models import User
from kustos.audit.models import AuditEvent
from kustos.sso.models import ExternalIdentity
from kustos.sso.services import providers
from tests import factories
from tests.integration.sso.oidc_helpers import REDIRECT_URI, authorize, callback, sign_in

pytestmark = pytest.mark.django_db

TID = "7f3c1e52-aaaa-4bbb-8ccc-000000000001"
OTHER_TID = "7f3c1e52-aaaa-4bbb-8ccc-000000000002"
ADMINS = "group-admins-0001"


@pytest.fixture
def setup(provider_cloud):
    control = provider_cloud.control
    app = control.oidc_client("ms", [REDIRECT_URI], tenant=TID)
    partner = factories.partner("SSO Partner")
    customer = factories.customer(partner, "SSO Kunde")
    provider = providers.create(customer, kind="entra", name="Contoso Entra", secret=app["client_secret"], config={
        "client_id": app["client_id"], "discovery_url": app["common_discovery_url"], "tenant_ids": [TID],
        "graph_url": provider_cloud.base_url, "create_users": True, "default_role": "end_user",
        "role_map": [{"group": ADMINS, "role": "customer_admin"}]}, actor="test")
    return control, provider, customer


def _failures(reason: str) -> int:
    return AuditEvent.objects.filter(action="sso.sign_in_failed", detail__reason=reason).count()


def test_end_user_is_created_with_the_reported_mailboxes_and_a_bounded_session(setup):
    control, provider, customer = setup
    control.oidc_user("ms", "lena@contoso.example", tenant=TID, name="Lena", aliases=["l.berg@contoso.example"])
    client = Client()
    response = sign_in(client, provider.id, "lena@contoso.example")
    assert response.status_code == 302 and response["Location"] == "/"
    user = User.objects.get(email="lena@contoso.example")
    assert (user.customer_id, user.role, user.name) == (customer.id, "end_user", "Lena")
    assert user.mailboxes == ["lena@contoso.example", "l.berg@contoso.example"]
    assert 12 * 3600 - 5 <= client.session.get_expiry_age() <= 12 * 3600
    assert client.get("/").status_code == 200  # signed in
    assert AuditEvent.objects.filter(action="sso.sign_in", actor="lena@contoso.example").count() == 1
    assert AuditEvent.objects.filter(action="sso.user_created", target=user.id).count() == 1


def test_group_gives_admin_and_a_removed_group_loses_the_role(setup):
    control, provider, customer = setup
    control.oidc_user("ms", "boss@contoso.example", tenant=TID, groups=[ADMINS])
    assert sign_in(Client(), provider.id, "boss@contoso.example").status_code == 302
    assert User.objects.get(email="boss@contoso.example").role == "customer_admin"
    control.oidc_user("ms", "boss@contoso.example", tenant=TID, groups=[])
    assert sign_in(Client(), provider.id, "boss@contoso.example").status_code == 302
    assert User.objects.get(email="boss@contoso.example").role == "end_user"
    changes = AuditEvent.objects.filter(action="sso.role_change", detail__email="boss@contoso.example")
    # created as admin by its group, then down to the default role once the group is gone
    assert [(e.detail["from"], e.detail["to"]) for e in changes.order_by("seq")] == [("customer_admin", "end_user")]


def test_without_a_default_role_a_removed_group_loses_access(setup):
    control, provider, customer = setup
    providers.update(provider, config={**provider.config, "default_role": ""}, actor="test")
    control.oidc_user("ms", "admin2@contoso.example", tenant=TID, groups=[ADMINS])
    client = Client()
    assert sign_in(client, provider.id, "admin2@contoso.example")["Location"] == "/"
    control.oidc_user("ms", "admin2@contoso.example", tenant=TID, groups=[])
    again = sign_in(Client(), provider.id, "admin2@contoso.example")
    assert again["Location"] == "/login/"
    user = User.objects.get(email="admin2@contoso.example")
    assert user.is_active is False
    assert client.get("/")["Location"].startswith("/login/")  # the earlier session ended too
    assert _failures("no_role") == 1


def test_mfa_asserted_skips_the_second_factor_step_for_a_partner_technician(provider_cloud):
    control = provider_cloud.control
    app = control.oidc_client("ms", [REDIRECT_URI], tenant=TID)
    partner = factories.partner("Tech Partner")
    provider = providers.create(partner, kind="entra", name="Partner Entra", secret=app["client_secret"], config={
        "client_id": app["client_id"], "discovery_url": app["discovery_url"], "graph_url": provider_cloud.base_url,
        "role_map": [{"group": "techs", "role": "partner_tech"}]}, actor="test")
    factories.user("tech@partner.example", "partner_tech", partner=partner)
    control.oidc_user("ms", "tech@partner.example", tenant=TID, groups=["techs"], mfa=True)
    assert sign_in(Client(), provider.id, "tech@partner.example")["Location"] == "/"
    control.oidc_user("ms", "tech@partner.example", tenant=TID, groups=["techs"], mfa=False)
    assert sign_in(Client(), provider.id, "tech@partner.example")["Location"] in ("/account/2fa/setup/",
                                                                                  "/login/otp/?next=%2F")


def test_wrong_audience_is_refused(setup):
    control, provider, _ = setup
    control.oidc_user("ms", "aud@contoso.example", tenant=TID)
    control.oidc_next_id_token("ms", aud="someone-else")
    assert sign_in(Client(), provider.id, "aud@contoso.example")["Location"] == "/login/"
    assert not User.objects.filter(email="aud@contoso.example").exists()
    assert _failures("invalid_aud") == 1


def test_expired_token_is_refused(setup):
    control, provider, _ = setup
    control.oidc_user("ms", "old@contoso.example", tenant=TID)
    control.oidc_next_id_token("ms", exp=int(time.time()) - 600, iat=int(time.time()) - 4000,
                               nbf=int(time.time()) - 4000)
    assert sign_in(Client(), provider.id, "old@contoso.example")["Location"] == "/login/"
    assert not User.objects.filter(email="old@contoso.example").exists()
    assert _failures("token_expired") == 1


def test_replayed_state_is_refused(setup):
    control, provider, _ = setup
    control.oidc_user("ms", "replay@contoso.example", tenant=TID)
    client = Client()
    query = authorize(client, provider.id, "replay@contoso.example")
    assert callback(client, query)["Location"] == "/"
    client.post("/logout/")
    assert callback(client, query)["Location"] == "/login/"
    assert _failures("invalid_state") == 1
    stats = control.oidc_stats()["services"]["ms"]
    assert (stats["tokens_issued"], stats["code_replays"]) == (1, 0)  # refused before the code was redeemed again
    assert AuditEvent.objects.filter(action="sso.sign_in").count() == 1


def test_user_of_another_tenant_is_refused(setup):
    control, provider, _ = setup
    control.oidc_client("ms", [REDIRECT_URI], tenant=OTHER_TID)
    control.oidc_user("ms", "eve@fabrikam.example", tenant=OTHER_TID)
    assert sign_in(Client(), provider.id, "eve@fabrikam.example")["Location"] == "/login/"
    assert not User.objects.filter(email="eve@fabrikam.example").exists()
    assert _failures("tenant_not_allowed") == 1


def test_existing_user_of_another_customer_is_not_matched(setup):
    control, provider, customer = setup
    other = factories.customer(customer.partner, "Other Kunde")
    factories.user("shared@contoso.example", "customer_admin", customer=other)
    control.oidc_user("ms", "shared@contoso.example", tenant=TID)
    assert sign_in(Client(), provider.id, "shared@contoso.example")["Location"] == "/login/"
    assert User.objects.get(email="shared@contoso.example").customer_id == other.id
    assert _failures("other_tenant") == 1


def test_rotated_key_keeps_working_and_an_unknown_key_is_refused(setup):
    control, provider, _ = setup
    control.oidc_user("ms", "rot@contoso.example", tenant=TID)
    assert sign_in(Client(), provider.id, "rot@contoso.example")["Location"] == "/"
    control.oidc_rotate_keys("ms", drop_old=True)
    assert sign_in(Client(), provider.id, "rot@contoso.example")["Location"] == "/"
    control.oidc_next_id_token("ms", sign_with="unknown-key")
    assert sign_in(Client(), provider.id, "rot@contoso.example")["Location"] == "/login/"
    assert _failures("unknown_key") + _failures("bad_signature") == 1
    assert ExternalIdentity.objects.filter(provider=provider).count() == 1


def test_token_for_another_nonce_is_refused(setup):
    control, provider, _ = setup
    control.oidc_user("ms", "nonce@contoso.example", tenant=TID)
    control.oidc_next_id_token("ms", nonce="not-the-one-kustos-sent")
    assert sign_in(Client(), provider.id, "nonce@contoso.example")["Location"] == "/login/"
    assert not User.objects.filter(email="nonce@contoso.example").exists()
    assert _failures("invalid_nonce") == 1


def test_clock_skew_is_bounded(setup):
    control, provider, _ = setup
    control.oidc_user("ms", "skew@contoso.example", tenant=TID)
    now = int(time.time())
    control.oidc_next_id_token("ms", iat=now + 60, nbf=now + 60)  # a provider clock 1 minute ahead: accepted
    assert sign_in(Client(), provider.id, "skew@contoso.example")["Location"] == "/"
    control.oidc_next_id_token("ms", iat=now - 10, nbf=now + 600)  # not valid for another 10 minutes
    assert sign_in(Client(), provider.id, "skew@contoso.example")["Location"] == "/login/"
    assert _failures("invalid_nbf") == 1


def test_issuer_of_another_tenant_is_refused(setup, provider_cloud):
    control, provider, _ = setup
    control.oidc_user("ms", "iss@contoso.example", tenant=TID)
    control.oidc_next_id_token("ms", iss=f"{provider_cloud.base_url}/{OTHER_TID}/v2.0")
    assert sign_in(Client(), provider.id, "iss@contoso.example")["Location"] == "/login/"
    assert _failures("invalid_iss") == 1
