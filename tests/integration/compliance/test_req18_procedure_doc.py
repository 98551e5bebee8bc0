"""Requirement 18: a versioned procedure-documentation export (configuration, rules, roles, software
version, storage location, retention classes); old versions kept.

The document is generated from the live configuration and names it (a source's host, the roles,
the storage location, the software version) without any secret; an unchanged configuration keeps
its version, a change makes a new one, and old versions download byte-identical from the API,
the dashboard and the CLI. Another partner's customer is not found.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import pytest
from django.test import Client

from kustos import __version__
from kustos.accounts.models import User
from kustos.accounts.services import tokens
from kustos.archive.services import sources
from kustos.cli import registry
from kustos.compliance.models import ProcedureDocVersion
from kustos.lifecycle.services import classes, ingest_rules, rules
from kustos.lifecycle.services import settings as lifecycle_settings
from kustos.tenants.models import Customer
from kustos.tenants.services import locations
from tests import factories
from tests.integration.web.session import sign_in

pytestmark = pytest.mark.django_db

SECRET = "Imap-Secret-Zq81!xv"
VAULT_URL = "s3://AKIAEXAMPLEKEY:S3-Secret-k9Tz@archive-bucket/kustos?endpoint=https://s3.example"


@dataclass
class World:
    customer: Customer
    foreign: Customer
    admin: User
    auditor: User
    end_user: User
    source_id: str

    def api(self, user: User) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {tokens.create(user, 'test')[1]}"}


@pytest.fixture
def world() -> World:
    locations.default()  # the installation's default location stays the first (and local) one
    loc = locations.create("de-fra-7", "Frankfurt DC 7", "DE", vault_url=VAULT_URL)
    partner, other = factories.partner("Systemhaus Nord"), factories.partner("Other Partner")
    customer = factories.customer(partner, "Muster GmbH")
    customer.location = loc
    customer.save()
    foreign = factories.customer(other, "Fremd AG")
    admin = factories.user("chefin@muster.example", "customer_admin", customer=customer)
    factories.user("tech@systemhaus.example", "partner_tech", partner=partner, totp=True)
    auditor = factories.user("pruefer@finanzamt.example", "auditor", customer=customer)
    end_user = factories.user("anna@muster.example", "end_user", customer=customer)
    source = sources.add(customer, "imap", {"host": "127.0.0.1", "port": 993, "username": "journal@muster.example",
                                            "security": "tls"}, SECRET, name="Hauptpostfach")
    return World(customer, foreign, admin, auditor, end_user, source.id)


def _text(resp) -> str:
    return resp.content.decode()


def test_req18_document_names_the_configuration_and_no_secret(world: World):
    resp = Client().post(f"/api/v1/customers/{world.customer.id}/procedure-doc", **world.api(world.admin))
    assert resp.status_code == 200, resp.content
    out = resp.json()
    assert out["version"] == 1 and out["created"] is True and out["software_version"] == __version__
    doc = _text(Client().get(f"/api/v1/customers/{world.customer.id}/procedure-doc/versions/1",
                             **world.api(world.admin)))
    assert hashlib.sha256(doc.encode()).hexdigest() == out["sha256"]
    for expected in ("Muster GmbH", "Systemhaus Nord", "de-fra-7", "Frankfurt DC 7", "| Country | DE |",
                     "Hauptpostfach", "host=127.0.0.1", "username=journal@muster.example",
                     "chefin@muster.example", "Customer admin", "tech@systemhaus.example", "Partner technician",
                     "pruefer@finanzamt.example", f"Kustos {__version__}", "No retention classes configured",
                     "AES-256-GCM", "RFC 3161"):
        assert expected in doc, expected
    assert SECRET not in doc
    assert "s3://archive-bucket/kustos (the customer's data is stored in this vault)" in doc
    assert "S3-Secret-k9Tz" not in doc and "AKIAEXAMPLEKEY" not in doc
    stored = ProcedureDocVersion.objects.get(customer=world.customer, version=1)
    assert SECRET not in stored.content


def test_req18_unchanged_keeps_version_change_makes_new_one_old_stays_identical(world: World):
    url = f"/api/v1/customers/{world.customer.id}/procedure-doc"
    first = Client().post(url, **world.api(world.admin)).json()
    v1 = Client().get(f"{url}/versions/1", **world.api(world.admin)).content
    again = Client().post(url, **world.api(world.admin)).json()
    assert (again["version"], again["created"], again["sha256"]) == (1, False, first["sha256"])
    assert ProcedureDocVersion.objects.filter(customer=world.customer).count() == 1

    sources.update(sources.Source.objects.get(id=world.source_id), paused=True, interval_minutes=60)
    second = Client().post(url, **world.api(world.admin)).json()
    assert (second["version"], second["created"]) == (2, True) and second["sha256"] != first["sha256"]
    v2 = Client().get(f"{url}/versions/2", **world.api(world.admin)).content
    assert b"| Hauptpostfach | IMAP" in v2 and b"| 60 | yes |" in v2
    assert Client().get(f"{url}/versions/1", **world.api(world.admin)).content == v1  # byte-identical
    listed = Client().get(f"{url}/versions", **world.api(world.admin)).json()
    assert [v["version"] for v in listed] == [2, 1]
    assert Client().get(f"{url}/versions/3", **world.api(world.admin)).status_code == 404


def test_req18_auditor_reads_end_user_and_foreign_customer_refused(world: World):
    url = f"/api/v1/customers/{world.customer.id}/procedure-doc"
    Client().post(url, **world.api(world.admin))
    assert Client().get(f"{url}/versions/1", **world.api(world.auditor)).status_code == 200
    assert Client().post(url, **world.api(world.auditor)).status_code == 403
    assert Client().get(f"{url}/versions", **world.api(world.end_user)).status_code == 403
    foreign = f"/api/v1/customers/{world.foreign.id}/procedure-doc"
    assert Client().post(foreign, **world.api(world.admin)).status_code == 404
    assert Client().get(f"{foreign}/versions", **world.api(world.admin)).status_code == 404
    assert Client().get(f"/customers/{world.foreign.id}/compliance/").status_code == 302  # anonymous: login
    client = sign_in(Client(), world.admin)
    assert client.get(f"/customers/{world.foreign.id}/compliance/").status_code == 404
    assert client.post(f"/customers/{world.foreign.id}/compliance/procedure-doc/").status_code == 404


def test_req18_dashboard_versions_create_and_download(world: World):
    client = sign_in(Client(), world.admin)
    page = client.get(f"/customers/{world.customer.id}/compliance/")
    assert page.status_code == 200 and "Create current version" in _text(page) and "No version yet" in _text(page)
    assert client.post(f"/customers/{world.customer.id}/compliance/procedure-doc/").status_code == 302
    assert client.post(f"/customers/{world.customer.id}/compliance/procedure-doc/").status_code == 302
    page = _text(client.get(f"/customers/{world.customer.id}/compliance/"))
    assert page.count('data-testid="procdoc-row"') == 1 and "127.0.0.1" in page and SECRET not in page
    assert "<td>Muster GmbH</td>" in page and "<h3>2. Storage location</h3>" in page  # rendered as HTML
    download = client.get(f"/customers/{world.customer.id}/compliance/procedure-doc/1/")
    assert download.status_code == 200
    assert download.content == ProcedureDocVersion.objects.get(customer=world.customer, version=1).content.encode()
    assert "procedure-doc-" in download["Content-Disposition"]
    assert "/compliance/" in _text(client.get(f"/customers/{world.customer.id}/"))
    assert sign_in(Client(), world.auditor).get(f"/customers/{world.customer.id}/compliance/").status_code == 200
    german = _text(sign_in(Client(), world.admin).get(f"/customers/{world.customer.id}/compliance/",
                                                      HTTP_ACCEPT_LANGUAGE="de"))
    assert "Compliance-Dokumente" in german and "Aktuelle Version erstellen" in german


def test_req18_cli_writes_lists_and_fetches_old_versions(world: World, tmp_path, capsys):
    out = tmp_path / "doc.md"
    assert registry.run(["procedure-doc", "--customer", world.customer.id, "-o", str(out), "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["version"] == 1 and first["file"] == str(out)
    assert hashlib.sha256(out.read_bytes()).hexdigest() == first["sha256"]
    assert b"127.0.0.1" in out.read_bytes() and SECRET.encode() not in out.read_bytes()
    v1 = out.read_bytes()
    assert registry.run(["procedure-doc", "--customer", "Muster GmbH", "-o", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["version"] == 1
    factories.user("neu@muster.example", "end_user", customer=world.customer)
    assert registry.run(["procedure-doc", "--customer", world.customer.id, "-o", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["version"] == 2 and b"neu@muster.example" in out.read_bytes()
    old = tmp_path / "v1.md"
    assert registry.run(["procedure-doc", "--customer", world.customer.id, "--version", "1", "-o", str(old),
                         "--json"]) == 0
    capsys.readouterr()
    assert old.read_bytes() == v1
    assert registry.run(["procedure-doc", "--customer", world.customer.id, "--list", "--json"]) == 0
    assert [r["version"] for r in json.loads(capsys.readouterr().out)] == [2, 1]
    assert registry.run(["procedure-doc", "--customer", world.customer.id, "--version", "9", "-o", str(old)]) == 1
    assert "no procedure documentation version 9" in capsys.readouterr().err
    assert registry.run(["procedure-doc", "--customer", world.customer.id]) == 1
    assert "give -o FILE" in capsys.readouterr().err


def test_req18_document_lists_retention_classes_rules_ingest_rules_and_approvals(world: World):
    classes.add(world.customer, "Buchungsbelege", 8, tax_relevant=True, actor="test")
    classes.add(world.customer, "Dauerhaft", None, actor="test")
    rules.add(world.customer, "Buchungsbelege", folder="Buchhaltung", from_addr="@steuerberater.example",
              actor="test")
    ingest_rules.add(world.customer, name="Newsletter", field="header", pattern="*", header_name="List-Unsubscribe",
                     actor="test")
    lifecycle_settings.set_required_approvals(world.customer, 2, actor="test")
    doc = ProcedureDocVersion.objects.get(id=_created_doc(world)).content
    for expected in ("| Buchungsbelege | 8 | yes |", "| Dauerhaft | keep forever | no |",
                     "| Buchungsbelege | any | Buchhaltung | @steuerberater.example |", "| Newsletter | header "
                     "List-Unsubscribe |", "approval of 2 different authorised person(s)"):
        assert expected in doc, expected
    assert "No retention classes configured" not in doc


def _created_doc(world: World) -> str:
    out = Client().post(f"/api/v1/customers/{world.customer.id}/procedure-doc", **world.api(world.admin)).json()
    return ProcedureDocVersion.objects.get(customer=world.customer, version=out["version"]).id
