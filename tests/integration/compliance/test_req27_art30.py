"""Requirement 27: an Art. 30 record of processing can be exported per customer.

Controller = the customer, processor = its partner; purposes, data subjects, data categories,
recipients, transfers outside the EU (from the storage location), retention and technical and
organisational measures; Markdown and JSON, from the API, the dashboard and the CLI. The export
is audited; another partner's customer is not found and end users and auditors may not export it.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from kustos.accounts.services import tokens
from kustos.audit.models import AuditEvent
from kustos.cli import registry
from kustos.tenants.services import customers, locations
from tests import factories
from tests.integration.web.session import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    partner, other = factories.partner("Systemhaus Nord"), factories.partner("Other Partner")
    eu = locations.create("de-fra-7", "Frankfurt DC 7", "DE")
    us = locations.create("us-east-9", "Virginia", "US", outside_eu_override=True)
    customer = customers.create(partner, "Muster", legal_name="Muster GmbH & Co. KG", customer_number="K-4711",
                                location=eu, backup_enabled=True)
    abroad = customers.create(partner, "Overseas Ltd", location=us)
    foreign = customers.create(other, "Fremd AG", location=eu)
    admin = factories.user("chefin@muster.example", "customer_admin", customer=customer)
    tech = factories.user("tech@systemhaus.example", "partner_tech", partner=partner, totp=True)
    auditor = factories.user("pruefer@finanzamt.example", "auditor", customer=customer)
    end_user = factories.user("anna@muster.example", "end_user", customer=customer)
    return {"customer": customer, "abroad": abroad, "foreign": foreign, "admin": admin, "tech": tech,
            "auditor": auditor, "end_user": end_user}


def _auth(user) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {tokens.create(user, 'test')[1]}"}


def test_req27_record_names_controller_processor_location_and_measures(world):
    c = world["customer"]
    resp = Client().get(f"/api/v1/customers/{c.id}/art30", **_auth(world["admin"]))
    assert resp.status_code == 200 and resp["Content-Type"].startswith("text/markdown")
    text = resp.content.decode()
    for expected in ("Record of processing activities (Art. 30 GDPR) — Muster GmbH & Co. KG",
                     "## Controller", "customer number K-4711", "## Processor", "- Systemhaus Nord",
                     "de-fra-7 — Frankfurt DC 7 (DE)", "No: data is stored in DE (EU)",
                     "Recovery of cloud data", "§ 147 AO", "AES-256-GCM", "Two-factor authentication",
                     "Hash-chained audit log", "Categories of data subjects"):
        assert expected in text, expected
    assert AuditEvent.objects.filter(action="compliance.art30", customer_id=c.id).count() == 1

    data = Client().get(f"/api/v1/customers/{c.id}/art30?format=json", **_auth(world["tech"])).json()
    assert data["controller"] == {"name": "Muster GmbH & Co. KG", "customer_number": "K-4711"}
    assert data["processor"]["partner"] == "Systemhaus Nord"
    assert data["storage_location"] == {"id": "de-fra-7", "name": "Frankfurt DC 7", "country": "DE"}
    assert data["third_country_transfer"].startswith("No")
    assert any("Two-factor" in m for m in data["measures"])


def test_req27_storage_outside_the_eu_is_a_third_country_transfer(world):
    a = world["abroad"]
    data = Client().get(f"/api/v1/customers/{a.id}/art30?format=json", **_auth(world["tech"])).json()
    assert data["third_country_transfer"].startswith("Yes: data is stored in US (outside the EU")
    assert not any("Recovery of cloud data" in p for p in data["purposes"])  # no backup service


def test_req27_refusals_and_bad_format(world):
    c, f = world["customer"], world["foreign"]
    assert Client().get(f"/api/v1/customers/{f.id}/art30", **_auth(world["admin"])).status_code == 404
    assert Client().get(f"/api/v1/customers/{f.id}/art30", **_auth(world["tech"])).status_code == 404
    assert Client().get(f"/api/v1/customers/{c.id}/art30", **_auth(world["end_user"])).status_code == 403
    assert Client().get(f"/api/v1/customers/{c.id}/art30", **_auth(world["auditor"])).status_code == 403
    bad = Client().get(f"/api/v1/customers/{c.id}/art30?format=pdf", **_auth(world["admin"]))
    assert bad.status_code == 422 and "unknown format 'pdf'" in bad.content.decode()
    assert not AuditEvent.objects.filter(action="compliance.art30").exists()


def test_req27_dashboard_download(world):
    c = world["customer"]
    client = sign_in(Client(), world["admin"])
    page = client.get(f"/customers/{c.id}/compliance/").content.decode()
    assert f"/customers/{c.id}/compliance/art30/" in page
    resp = client.get(f"/customers/{c.id}/compliance/art30/")
    assert resp.status_code == 200 and f'filename="art30-{c.id}.md"' in resp["Content-Disposition"]
    assert "Muster GmbH & Co. KG" in resp.content.decode()
    assert json.loads(client.get(f"/customers/{c.id}/compliance/art30/?format=json").content)["customer"] == c.id
    assert client.get(f"/customers/{world['foreign'].id}/compliance/art30/").status_code == 404
    auditor_page = sign_in(Client(), world["auditor"]).get(f"/customers/{c.id}/compliance/").content.decode()
    assert "/compliance/art30/" not in auditor_page


def test_req27_cli_export(world, tmp_path, capsys):
    c = world["customer"]
    out = tmp_path / "art30.json"
    assert registry.run(["art30", "--customer", c.id, "-o", str(out), "--format", "json", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"customer": c.id, "format": "json", "file": str(out)}
    assert json.loads(out.read_text())["controller"]["name"] == "Muster GmbH & Co. KG"
    md = tmp_path / "art30.md"
    assert registry.run(["art30", "--customer", "Muster", "-o", str(md)]) == 0
    assert "## Technical and organisational measures" in md.read_text()
    assert registry.run(["art30", "--customer", c.id, "-o", str(tmp_path / "missing" / "x.md")]) == 1
    assert "cannot write" in capsys.readouterr().err
