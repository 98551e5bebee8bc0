"""Self-service switches per customer: end users may do what their customer admin allows (default: all);
other roles are not limited by the switches."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from kustos.accounts import access
from kustos.tenants.models import SelfService
from tests import factories

pytestmark = pytest.mark.django_db


def test_end_users_follow_the_switches_and_admins_do_not():
    customer = factories.customer(factories.partner("P"), "Kunde")
    end_user = factories.user("anna@kunde.example", "end_user", customer=customer)
    admin = factories.user("admin@kunde.example", "customer_admin", customer=customer)
    assert all(access.self_service_allows(end_user, customer, f) for f in SelfService.FEATURES)  # defaults: on
    SelfService.objects.create(customer=customer, restore=False, imap=False)
    assert access.self_service_allows(end_user, customer, "search") and access.self_service_allows(
        end_user, customer, "download")
    assert not access.self_service_allows(end_user, customer, "restore")
    assert not access.self_service_allows(end_user, customer, "imap")
    assert access.self_service_allows(admin, customer, "restore")
    with pytest.raises(PermissionDenied, match="turned off self-service imap"):
        access.require_self_service(end_user, customer, "imap")
    with pytest.raises(ValueError, match="unknown self-service feature 'print'"):
        access.self_service_allows(end_user, customer, "print")
