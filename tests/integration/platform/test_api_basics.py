"""REST API: bearer tokens, problem details, customer CRUD within a partner's scope, OpenAPI."""

from __future__ import annotations

import pytest
from django.test import Client

from kustos.accounts.services import tokens
from kustos.audit.models import AuditEvent
from kustos.audit.services import verify_chain
from tests import factories

pytestmark = pytest.mark.django_db


def bearer(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.fixture
def partner_admin():
    partner = factories.partner("API Partner")
    user = factories.user("admin@api-partner.example", "partner_admin", partner=partner)
    _, secret = tokens.create(user, "ci")
    return partner, user, secret


def test_token_works_and_revoked_token_is_refused(client: Client, partner_admin):
    partner, user, secret = partner_admin
    resp = client.get("/api/v1/me", **bearer(secret))
    assert resp.status_code == 200 and resp.json()["email"] == user.email
    token = user.api_tokens.get()
    assert token.digest != secret and secret not in token.prefix + token.digest  # only a hash is stored
    tokens.revoke(token)
    resp = client.get("/api/v1/me", **bearer(secret))
    assert resp.status_code == 401
    assert resp["Content-Type"] == "application/problem+json"
    assert resp.json()["status"] == 401 and resp.json()["title"] == "Authentication required"


def test_partner_creates_lists_edits_customers(client: Client, partner_admin):
    partner, _, secret = partner_admin
    resp = client.post("/api/v1/customers", {"name": "Kunde Eins", "legal_name": "Eins GmbH"},
                       content_type="application/json", **bearer(secret))
    assert resp.status_code == 201, resp.content
    cid = resp.json()["id"]
    assert resp.json()["partner"] == partner.id and resp.json()["location_country"] == "DE"
    resp = client.get("/api/v1/customers?q=eins", **bearer(secret))
    assert [c["id"] for c in resp.json()] == [cid]
    resp = client.patch(f"/api/v1/customers/{cid}", {"customer_number": "K-100"},
                        content_type="application/json", **bearer(secret))
    assert resp.status_code == 200 and resp.json()["customer_number"] == "K-100"
    resp = client.patch(f"/api/v1/customers/{cid}", {"name": ""}, content_type="application/json", **bearer(secret))
    assert resp.status_code == 422 and "display name" in resp.json()["detail"]
    actions = list(AuditEvent.objects.filter(customer_id=cid).order_by("seq").values_list("action", flat=True))
    assert actions == ["customer.create", "customer.update", "customer.update"][: len(actions)] and len(actions) >= 2
    assert verify_chain().ok


def test_foreign_customer_is_not_found(client: Client, partner_admin):
    _, _, secret = partner_admin
    other = factories.customer(factories.partner("Other Partner"), "Secret Customer")
    for method, url in [("get", f"/api/v1/customers/{other.id}"), ("patch", f"/api/v1/customers/{other.id}")]:
        resp = getattr(client, method)(url, {}, content_type="application/json", **bearer(secret))
        assert resp.status_code == 404
        assert b"Secret Customer" not in resp.content
    resp = client.get("/api/v1/customers", **bearer(secret))
    assert all(c["id"] != other.id for c in resp.json())


def test_openapi_documents_every_route(client: Client, partner_admin):
    _, _, secret = partner_admin
    schema = client.get("/api/v1/openapi.json", **bearer(secret)).json()
    paths = schema["paths"]
    for path in ["/api/v1/customers", "/api/v1/customers/{customer_id}", "/api/v1/partners", "/api/v1/users",
                 "/api/v1/jobs", "/api/v1/me/tokens"]:
        assert path in paths, path


def test_audit_chain_detects_edits(partner_admin):
    ev = AuditEvent.objects.order_by("seq").first()
    assert verify_chain().ok
    AuditEvent.objects.filter(seq=ev.seq).update(actor="mallory")
    report = verify_chain()
    assert not report.ok and report.broken[0] == {"seq": ev.seq, "problem": "event content altered"}
