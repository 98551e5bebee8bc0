"""Issue 17 part 3: LDAP / Active Directory sign-in through the normal login form, against a real
OpenLDAP (``tests/servers/openldap.py``) over StartTLS and LDAPS.

An e-mail whose domain belongs to an enabled LDAP provider is checked by an LDAP bind, never by
the local password hash; the user is matched or created and gets roles and mailboxes through
``sso.services.identities`` (the same path as OIDC); wrong passwords count towards the lockout.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from django.test import Client

from kustos.accounts.models import User
from kustos.audit.models import AuditEvent
from kustos.core.secrets import seal_secret
from kustos.sso.models import ExternalIdentity, IdentityProvider, SignInPolicy
from kustos.sso.services import ldap_auth
from tests import factories
from tests.servers.openldap import OpenLdap, make_ca_and_server, start_openldap

pytestmark = pytest.mark.django_db

_numbers = itertools.count(1)


def _domain() -> str:
    """A domain of its own per test: providers and directory entries never collide in the module's server."""
    return f"corp{next(_numbers)}.test"


def _provider(server: OpenLdap, customer, domain: str, *, ldaps: bool = False, ca_file: Path | None = None,
              **config) -> IdentityProvider:
    base = {
        "url": server.ldaps_url if ldaps else server.ldap_url, "start_tls": not ldaps,
        "ca_file": str(ca_file or server.certs.ca), "bind_dn": server.service_dn, "search_base": server.people,
        "email_domains": [domain], "create_users": True,
    }
    provider = IdentityProvider.objects.create(customer=customer, kind="ldap", name="Corp directory",
                                               config={**base, **config})
    provider.secret_sealed = seal_secret(server.service_password, provider.owner_ref)
    provider.save(update_fields=["secret_sealed"])
    return provider


def _login(client: Client, email: str, password: str):
    return client.post("/login/", {"email": email, "password": password})


def _customer(name: str):
    return factories.customer(factories.partner(f"{name} Partner"), name)


def test_starttls_sign_in_creates_the_user_with_mapped_role_and_directory_addresses(openldap):
    domain = _domain()
    dn = openldap.add_user(f"alice-{domain}", "alice-Directory-pw1", f"alice@{domain}",
                           aliases=(f"a.smith@{domain}", f"sales@{domain}"), name="Alice Smith")
    group = openldap.add_group(f"archive-admins-{domain}", dn)
    customer = _customer("StartTLS Co")
    provider = _provider(openldap, customer, domain, default_role="end_user",
                         role_map=[{"group": f"archive-admins-{domain}", "role": "customer_admin"}])

    client = Client(REMOTE_ADDR="203.0.113.10")
    resp = _login(client, f"Alice@{domain}", "alice-Directory-pw1")
    assert resp.status_code == 302 and resp["Location"] == "/", resp.content[:300]

    user = User.objects.get(email=f"alice@{domain}")
    assert (user.role, user.customer_id, user.is_active) == ("customer_admin", customer.id, True)
    assert user.mailboxes == [f"alice@{domain}", f"a.smith@{domain}", f"sales@{domain}"]
    assert not user.has_usable_password()  # Kustos never stored the directory password
    identity = ExternalIdentity.objects.get(provider=provider, user=user)
    assert identity.subject == dn and identity.role == "customer_admin"
    home = client.get("/")
    assert home.status_code in (200, 302) and not home.get("Location", "").startswith("/login")
    actions = set(AuditEvent.objects.filter(customer_id=customer.id).values_list("action", flat=True))
    assert {"sso.user_created", "sso.sign_in"} <= actions
    assert group  # the group DN the role came from


def test_ldaps_sign_in_with_group_search_under_group_base(openldap):
    domain = _domain()
    dn = openldap.add_user(f"bob-{domain}", "bob-Directory-pw1", f"bob@{domain}")
    openldap.add_group(f"staff-{domain}", dn)
    customer = _customer("LDAPS Co")
    _provider(openldap, customer, domain, ldaps=True, group_base=openldap.groups,
              role_map=[{"group": f"cn=staff-{domain},{openldap.groups}", "role": "end_user"}])
    settings = ldap_auth.LdapSettings.for_provider(IdentityProvider.objects.get(customer=customer))
    assert settings.url.startswith("ldaps://") and not settings.start_tls

    resp = _login(Client(REMOTE_ADDR="203.0.113.11"), f"bob@{domain}", "bob-Directory-pw1")
    assert resp.status_code == 302 and resp["Location"] == "/"
    user = User.objects.get(email=f"bob@{domain}")
    assert (user.role, user.mailboxes) == ("end_user", [f"bob@{domain}"])


def test_wrong_password_is_refused_never_checks_the_local_hash_and_counts_towards_the_lockout(openldap):
    domain = _domain()
    openldap.add_user(f"carol-{domain}", "carol-Directory-pw1", f"carol@{domain}")
    customer = _customer("Lockout Co")
    provider = _provider(openldap, customer, domain, default_role="end_user")
    # An existing Kustos user of the domain with a local password: that password no longer signs in.
    factories.user(f"carol@{domain}", "end_user", customer=customer)

    attacker = Client(REMOTE_ADDR="203.0.113.12")
    local = _login(attacker, f"carol@{domain}", factories.PASSWORD)
    assert local.status_code == 200 and b"not correct" in local.content
    for _ in range(3):
        resp = _login(attacker, f"carol@{domain}", "guessing-wrong-1")
        assert resp.status_code == 200 and b"not correct" in resp.content
    empty_bind = ldap_auth.LdapSettings.for_provider(provider)
    with pytest.raises(ldap_auth.LdapRefused):  # an empty password would be an unauthenticated bind
        ldap_auth.check_password(empty_bind, f"carol@{domain}", "")
    assert _login(attacker, f"carol@{domain}", "guessing-wrong-2").status_code == 429  # the fifth locks
    locked = _login(attacker, f"carol@{domain}", "carol-Directory-pw1")
    assert locked.status_code == 429  # the (account, address) pair is locked, right password or not

    owner = Client(REMOTE_ADDR="198.51.100.12")
    resp = _login(owner, f"carol@{domain}", "carol-Directory-pw1")
    assert resp.status_code == 302 and resp["Location"] == "/"
    failures = AuditEvent.objects.filter(action="sso.sign_in_failed", target=provider.id)
    assert failures.count() == 5
    assert {e.detail["reason"] for e in failures} == {"ldap_refused"}
    assert not any("guessing-wrong" in str(e.detail) or "carol-Directory" in str(e.detail) for e in failures)


def test_removed_from_the_group_loses_the_role_at_the_next_sign_in(openldap):
    domain = _domain()
    dn = openldap.add_user(f"dave-{domain}", "dave-Directory-pw1", f"dave@{domain}")
    erin = openldap.add_user(f"erin-{domain}", "erin-Directory-pw1", f"erin@{domain}")
    admins = openldap.add_group(f"admins-{domain}", dn, erin)
    customer = _customer("Groups Co")
    _provider(openldap, customer, domain, default_role="end_user",
              role_map=[{"group": f"admins-{domain}", "role": "customer_admin"}])
    # Erin's provider has no default role: outside the group she has no access at all.
    domain_two = _domain()
    frank = openldap.add_user(f"frank-{domain_two}", "frank-Directory-pw1", f"frank@{domain_two}")
    openldap.add_member(admins, frank)
    _provider(openldap, _customer("Strict Co"), domain_two,
              role_map=[{"group": f"admins-{domain}", "role": "customer_admin"}])

    assert _login(Client(REMOTE_ADDR="203.0.113.13"), f"dave@{domain}", "dave-Directory-pw1").status_code == 302
    assert _login(Client(REMOTE_ADDR="203.0.113.13"), f"frank@{domain_two}", "frank-Directory-pw1").status_code == 302
    assert User.objects.get(email=f"dave@{domain}").role == "customer_admin"
    assert User.objects.get(email=f"frank@{domain_two}").role == "customer_admin"

    openldap.remove_member(admins, dn)
    openldap.remove_member(admins, frank)
    client = Client(REMOTE_ADDR="203.0.113.14")
    assert _login(client, f"dave@{domain}", "dave-Directory-pw1").status_code == 302
    assert User.objects.get(email=f"dave@{domain}").role == "end_user"

    refused = _login(client, f"frank@{domain_two}", "frank-Directory-pw1")
    assert refused.status_code == 200 and b"not correct" in refused.content
    frank_user = User.objects.get(email=f"frank@{domain_two}")
    assert not frank_user.is_active
    assert AuditEvent.objects.filter(action="sso.role_change", target=frank_user.id,
                                     detail__to=None).exists()


def test_a_server_certificate_not_signed_by_the_configured_ca_is_refused(openldap, tmp_path):
    domain = _domain()
    openldap.add_user(f"gina-{domain}", "gina-Directory-pw1", f"gina@{domain}")
    other_ca = make_ca_and_server(tmp_path / "other").ca
    customer = _customer("Untrusted Co")
    for ldaps in (False, True):
        IdentityProvider.objects.filter(customer=customer).delete()
        provider = _provider(openldap, customer, domain, ldaps=ldaps, ca_file=other_ca, default_role="end_user")
        with pytest.raises(ldap_auth.LdapUnavailable, match="the server certificate is not trusted"):
            ldap_auth.check_password(ldap_auth.LdapSettings.for_provider(provider), f"gina@{domain}",
                                     "gina-Directory-pw1")
        resp = _login(Client(REMOTE_ADDR="203.0.113.15"), f"gina@{domain}", "gina-Directory-pw1")
        assert resp.status_code == 200 and b"not correct" in resp.content
        report = ldap_auth.test_connection(provider)
        assert report["ok"] is False and report["message"]
    assert not User.objects.filter(email=f"gina@{domain}").exists()


def test_plain_ldap_without_tls_is_refused_by_the_settings(openldap):
    with pytest.raises(ldap_auth.LdapConfigError, match="plain LDAP is refused"):
        ldap_auth.LdapSettings.from_config({"url": openldap.ldap_url, "search_base": openldap.people}, "x")


def test_test_connection_reports_success_and_failure(openldap):
    customer = _customer("Connection Co")
    good = _provider(openldap, customer, _domain())
    report = ldap_auth.test_connection(good)
    assert report["ok"] is True and report["tls"] == "StartTLS"
    assert openldap.people in report["message"]

    ldaps = _provider(openldap, _customer("Connection Two"), _domain(), ldaps=True)
    assert ldap_auth.test_connection(ldaps)["tls"] == "LDAPS"

    wrong_password = ldap_auth.test_connection(good, "not-the-service-password")
    assert wrong_password["ok"] is False and "was refused" in wrong_password["message"]
    assert "not-the-service-password" not in wrong_password["message"]

    moved = IdentityProvider.objects.get(id=good.id)
    moved.secret_sealed = seal_secret(openldap.service_password, "idp:another-provider")
    sealed_elsewhere = ldap_auth.test_connection(moved)
    assert sealed_elsewhere["ok"] is False and "cannot be opened" in sealed_elsewhere["message"]

    good.config = {**good.config, "search_base": f"ou=nowhere,{openldap.suffix}"}
    missing = ldap_auth.test_connection(good)
    assert missing["ok"] is False and "ou=nowhere" in missing["message"]

    good.config = {**good.config, "url": "ldap://127.0.0.1:1"}
    down = ldap_auth.test_connection(good)
    assert down["ok"] is False and "cannot connect" in down["message"]


def test_accounts_outside_the_providers_customer_keep_their_local_password(openldap):
    """The provider serves its own customer's people only: an operator (the break-glass account) or
    another customer's user whose address is in the directory's domain signs in as before."""
    domain = _domain()
    openldap.add_user(f"ops-{domain}", "ops-Directory-pw1", f"ops@{domain}")
    _provider(openldap, _customer("Directory Co"), domain, default_role="end_user")
    factories.user(f"ops@{domain}", "operator", totp=True)
    other = factories.user(f"helen@{domain}", "end_user", customer=_customer("Neighbour Co"))

    client = Client(REMOTE_ADDR="203.0.113.16")
    assert _login(client, f"ops@{domain}", "ops-Directory-pw1").status_code == 200  # not by LDAP
    resp = _login(client, f"ops@{domain}", factories.PASSWORD)
    assert resp.status_code == 302 and resp["Location"].startswith("/login/otp/")
    resp = _login(Client(REMOTE_ADDR="203.0.113.17"), other.email, factories.PASSWORD)
    assert resp.status_code == 302 and resp["Location"] == "/"
    assert not ExternalIdentity.objects.filter(user__email__endswith=f"@{domain}").exists()


def test_a_partners_directory_signs_in_its_staff_who_still_need_a_second_factor(openldap):
    domain = _domain()
    dn = openldap.add_user(f"ivan-{domain}", "ivan-Directory-pw1", f"ivan@{domain}")
    openldap.add_group(f"technicians-{domain}", dn)
    partner = factories.partner("Directory Partner")
    provider = IdentityProvider.objects.create(
        partner=partner, kind="ldap", name="Partner AD",
        config={"url": openldap.ldaps_url, "ca_file": str(openldap.certs.ca), "bind_dn": openldap.service_dn,
                "search_base": openldap.people, "email_domains": [domain], "create_users": True,
                "role_map": [{"group": f"technicians-{domain}", "role": "partner_tech"}]})
    provider.secret_sealed = seal_secret(openldap.service_password, provider.owner_ref)
    provider.save(update_fields=["secret_sealed"])

    resp = _login(Client(REMOTE_ADDR="203.0.113.18"), f"ivan@{domain}", "ivan-Directory-pw1")
    assert resp.status_code == 302 and resp["Location"] == "/account/2fa/setup/"  # LDAP asserts no MFA
    user = User.objects.get(email=f"ivan@{domain}")
    assert (user.role, user.partner_id, user.customer_id, user.mailboxes) == ("partner_tech", partner.id, None, [])


def test_directory_sign_in_still_works_when_local_passwords_are_off(openldap):
    """An LDAP bind is the organisation's own sign-in, not a local Kustos password."""
    domain = _domain()
    openldap.add_user(f"judy-{domain}", "judy-Directory-pw1", f"judy@{domain}")
    customer = _customer("No Local Passwords Co")
    _provider(openldap, customer, domain, default_role="end_user")
    SignInPolicy.objects.create(customer=customer, local_passwords=False)

    resp = _login(Client(REMOTE_ADDR="203.0.113.19"), f"judy@{domain}", "judy-Directory-pw1")
    assert resp.status_code == 302 and resp["Location"] == "/", resp.content[:300]


def test_a_certificate_for_another_host_name_is_refused(tmp_path):
    """The chain is trusted (the configured CA signed it) but the certificate names another host."""
    server = start_openldap(tmp_path / "slapd", cert_name="ldap.example.invalid", loopback_cert=False)
    try:
        domain = _domain()
        server.add_user(f"kim-{domain}", "kim-Directory-pw1", f"kim@{domain}")
        customer = _customer("Wrong Name Co")
        for ldaps in (True, False):
            IdentityProvider.objects.filter(customer=customer).delete()
            provider = _provider(server, customer, domain, ldaps=ldaps, default_role="end_user")
            report = ldap_auth.test_connection(provider)
            assert report["ok"] is False and "certificate does not name this host" in report["message"], report
            assert len(report["message"]) < 200
            resp = _login(Client(REMOTE_ADDR="203.0.113.20"), f"kim@{domain}", "kim-Directory-pw1")
            assert resp.status_code == 200 and b"not correct" in resp.content
        assert not User.objects.filter(email=f"kim@{domain}").exists()
        reasons = set(AuditEvent.objects.filter(action="sso.sign_in_failed", customer_id=customer.id)
                      .values_list("detail__reason", flat=True))
        assert reasons == {"ldap_unavailable"}
    finally:
        server.stop()
