"""Item 11: every way the operator obtains archive access to a customer (a customer user or an
auditor it controls, a grant, a role change into a customer role, a password it sets) is audited
and shown to that customer's partner admins — on their overview and by e-mail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from kustos.accounts.services import operator_access, tokens, users
from kustos.audit.models import AuditEvent
from kustos.audit.services import verify_chain
from tests import factories
from tests.integration.web.session import sign_in

pytestmark = pytest.mark.django_db

OWN_PASSWORD = "operator-controls-this-1"


def bearer(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.fixture
def world():
    partner = factories.partner("Watchful Partner")
    customer = factories.customer(partner, "Kanzlei Vogel")
    other_partner = factories.partner("Other Partner")
    partner_admin = factories.user("boss@watchful.example", "partner_admin", partner=partner, totp=True)
    other_admin = factories.user("boss@other.example", "partner_admin", partner=other_partner, totp=True)
    tech = factories.user("tech@watchful.example", "partner_tech", partner=partner, totp=True)
    operator = factories.user("ops@platform.example", "operator", totp=True)
    _, secret = tokens.create(operator, "ops")
    mail.outbox.clear()
    return {"partner": partner, "customer": customer, "admin": partner_admin, "other": other_admin, "tech": tech,
            "operator": operator, "secret": secret}


def _overview(user) -> str:
    page = sign_in(Client(), user).get("/")
    assert page.status_code == 200
    return page.content.decode()


def test_operator_creating_an_auditor_for_itself_is_audited_and_shown_to_the_partner(world):
    customer, operator = world["customer"], world["operator"]
    resp = Client().post("/api/v1/users", {"email": "ops+audit@platform.example", "role": "auditor",
                                           "customer": customer.id, "password": OWN_PASSWORD},
                         content_type="application/json", **bearer(world["secret"]))
    assert resp.status_code == 201, resp.content
    event = AuditEvent.objects.get(action=operator_access.ACTION)
    assert event.actor == operator.email and event.customer_id == customer.id
    assert event.partner_id == world["partner"].id and event.detail["user"] == "ops+audit@platform.example"
    assert verify_chain().ok
    # e-mail to the partner's admins only
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [world["admin"].email]
    assert "ops@platform.example" in mail.outbox[0].body and "Kanzlei Vogel" in mail.outbox[0].body
    # notice on the partner admin's overview, not on another partner's, not for the technician
    page = _overview(world["admin"])
    assert 'data-testid="operator-access"' in page
    assert "Operator ops@platform.example has access to customer Kanzlei Vogel since" in page
    assert "operator-access" not in _overview(world["other"])
    assert "operator-access" not in _overview(world["tech"])


def test_operator_creating_a_customer_user_or_granting_is_shown(world):
    customer, operator = world["customer"], world["operator"]
    resp = Client().post("/api/v1/users", {"email": "mole@kanzlei.example", "role": "end_user",
                                           "customer": customer.id, "password": OWN_PASSWORD},
                         content_type="application/json", **bearer(world["secret"]))
    assert resp.status_code == 201, resp.content
    auditor = users.create("extern@audit.example", "auditor", customer=factories.customer(world["partner"], "B"),
                           password=OWN_PASSWORD, actor=world["admin"])
    assert AuditEvent.objects.filter(action=operator_access.ACTION).count() == 1  # the partner's own act: none
    users.grant(auditor, customer, expires_at=timezone.now() + timedelta(days=3), actor=operator)
    events = AuditEvent.objects.filter(action=operator_access.ACTION).order_by("seq")
    assert [e.detail["via"] for e in events] == ["user.create", "auditor.grant"]
    page = _overview(world["admin"])
    assert page.count('data-testid="operator-access"') == 2
    assert "mole@kanzlei.example" in page and "extern@audit.example" in page
    assert len(mail.outbox) == 2


def test_operator_setting_a_customer_users_password_is_shown_and_ended_access_disappears(world):
    customer, operator = world["customer"], world["operator"]
    victim = factories.user("ca@kanzlei.example", "customer_admin", customer=customer)
    users.set_password(victim, OWN_PASSWORD, actor=operator)
    assert AuditEvent.objects.filter(action=operator_access.ACTION, target=victim.id).exists()
    assert "ca@kanzlei.example" in _overview(world["admin"])
    users.set_active(victim, False, actor=world["admin"])
    assert "operator-access" not in _overview(world["admin"])  # no longer in effect


def test_operator_turning_a_user_into_a_customer_role_or_taking_over_an_auditor_is_shown(world):
    customer, operator = world["customer"], world["operator"]
    end_user = factories.user("anna@kanzlei.example", "end_user", customer=customer)
    auditor = users.create("pruefer@audit.example", "auditor", customer=customer, password=OWN_PASSWORD,
                           actor=world["admin"])
    assert not AuditEvent.objects.filter(action=operator_access.ACTION).exists()
    users.change_role(end_user, "customer_admin", actor=operator)  # own mailboxes -> every mailbox
    users.set_password(auditor, "taken-over-by-ops-77", actor=operator)
    events = list(AuditEvent.objects.filter(action=operator_access.ACTION).order_by("seq"))
    assert [(e.target, e.customer_id, e.detail["via"]) for e in events] == [
        (end_user.id, customer.id, "user.role_change"), (auditor.id, customer.id, "user.set_password")]
    page = _overview(world["admin"])
    assert "pruefer@audit.example" in page and "anna@kanzlei.example" in page
    assert len(mail.outbox) == 2 and mail.outbox[0].to == [world["admin"].email]
