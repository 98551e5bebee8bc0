"""An LDAP provider set up the way an admin does it (``sso.services.admin``: config checked, bind
password sealed) and its "test connection" (``sso.services.connection_test``, audited) against the
real OpenLDAP of ``tests/servers/openldap.py``."""

from __future__ import annotations

import pytest
from django.test import Client

from kustos.accounts.models import User
from kustos.audit.models import AuditEvent
from kustos.sso.services import admin, connection_test
from tests import factories

pytestmark = pytest.mark.django_db


def test_an_admin_configured_ldap_provider_tests_its_connection_and_signs_users_in(openldap):
    customer = factories.customer(factories.partner("Admin LDAP Partner"), "Admin LDAP Co")
    openldap.add_user("lena-admin-test", "lena-Directory-pw1", "lena@adminldap.test")
    provider = admin.create(customer, kind="ldap", name="Head office AD", actor="test", secret=openldap.service_password,
                            config={"url": openldap.ldaps_url, "ca_file": str(openldap.certs.ca),
                                    "bind_dn": openldap.service_dn, "search_base": openldap.people,
                                    "email_domains": ["adminldap.test"], "create_users": True,
                                    "default_role": "end_user", "timeout_seconds": "5"})
    assert openldap.service_password not in str(provider.config) and provider.secret_sealed

    result = connection_test.run(provider, actor="test")
    assert result["ok"] is True and result["tls"] == "LDAPS", result
    assert AuditEvent.objects.filter(action="sso.provider.test", outcome="ok", target=provider.id).count() == 1

    resp = Client(REMOTE_ADDR="203.0.113.30").post("/login/", {"email": "lena@adminldap.test",
                                                              "password": "lena-Directory-pw1"})
    assert resp.status_code == 302 and resp["Location"] == "/"
    assert User.objects.get(email="lena@adminldap.test").customer_id == customer.id

    provider = admin.update(provider, actor="test", secret="not-the-service-password")
    failed = connection_test.run(provider, actor="test")
    assert failed["ok"] is False and "was refused" in failed["message"]
    event = AuditEvent.objects.get(action="sso.provider.test", outcome="failed", target=provider.id)
    assert "not-the-service-password" not in str(event.detail)
