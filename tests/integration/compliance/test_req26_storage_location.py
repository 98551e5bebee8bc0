"""Requirement 26: the customer's storage location decides where its data is stored.

Two locations with their own local vault directories, one customer in each: every pack, key
and ledger file of a customer lies under its location's directory only. A location outside
the EU is refused unless the operator sets the override, which is recorded; a customer's
location cannot be changed once it has data.
"""

from __future__ import annotations

import json
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from kustos.accounts.services import tokens
from kustos.archive.pipeline.contract import Incoming
from kustos.archive.services.ingest import Ingestor
from kustos.audit.models import AuditEvent
from kustos.cli import registry
from kustos.compliance.services import facts
from kustos.core import runtime
from kustos.tenants.models import StorageLocation
from kustos.tenants.services import customers, locations
from tests import factories
from tests.integration.web.session import sign_in


def mail(i: int, tag: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"sender{i}@partner.example"
    msg["To"] = "anna@kunde.example"
    msg["Subject"] = f"{tag} message {i}"
    msg["Message-ID"] = f"<{tag}{i}@partner.example>"
    msg["Date"] = "Mon, 02 Mar 2026 10:00:00 +0100"
    msg.set_content(f"{tag} body {i}")
    return msg.as_bytes()


@pytest.fixture
def home(db, tmp_path, settings):
    settings.KUSTOS = type(settings.KUSTOS)(**{**settings.KUSTOS.__dict__, "home": tmp_path / "home"})
    (tmp_path / "home").mkdir()
    runtime.reset()
    yield tmp_path
    runtime.reset()


def ingest(customer, count: int, tag: str) -> list[str]:
    items = [Incoming(raw=mail(i, tag), mailbox="anna@kunde.example", folders=["INBOX"], source="import")
             for i in range(count)]
    with Ingestor(customer, workers=1, batch_size=10).session() as ing:
        result = ing.ingest(items)
    assert result.imported == count
    return result.message_ids


def files_of(root: Path, customer_id: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and f"customers/{customer_id}/" in p.as_posix()]


def test_req26_each_customer_is_stored_under_its_locations_vault_only(home, capsys):
    north = home / "vault-north"
    south = home / "vault-south"
    loc_n = locations.create("de-north", "North", "DE", vault_url=str(north))
    loc_s = locations.create("at-south", "South", "AT", vault_url=f"file://{south}")
    partner = factories.partner("Standort Partner")
    a = customers.create(partner, "Kunde Nord", location=loc_n)
    b = customers.create(partner, "Kunde Süd", location=loc_s)
    ingest(a, 6, "north")
    ingest(b, 4, "south")

    default_root = runtime.settings().vault_path
    packs_a = [p for p in files_of(north, a.id) if "/packs/" in p.as_posix()]
    packs_b = [p for p in files_of(south, b.id) if "/packs/" in p.as_posix()]
    assert packs_a and packs_b
    # nothing of a customer in the other location's vault or in the installation's default vault
    assert files_of(south, a.id) == [] and files_of(north, b.id) == []
    assert not default_root.exists() or (files_of(default_root, a.id) == [] and files_of(default_root, b.id) == [])
    assert (north / "customers" / a.id / "key").is_file() and (north / "customers" / a.id / "meta").is_file()

    # one Vault per URL; the customer's data reads back from its location
    assert runtime.vault_for(a.id) is runtime.vault_at(str(north))
    assert runtime.vault_for(a.id) is not runtime.vault_for(b.id)
    assert runtime.vault_for(b.id).stats(b.id)["objects"] >= 4

    # `kustos vault` reaches every location's vault
    assert registry.run(["vault", "stats", "--json"]) == 0
    total = json.loads(capsys.readouterr().out)
    assert total["objects"] == (runtime.vault_for(a.id).stats(a.id)["objects"]
                                + runtime.vault_for(b.id).stats(b.id)["objects"])
    assert registry.run(["vault", "verify", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True and report["checked"] >= 10
    assert registry.run(["vault", "seal", "--customer", b.id, "--json"]) == 0
    capsys.readouterr()

    # the procedure documentation states the truth
    where = facts.location_of(a, "local directory under KUSTOS_HOME")
    assert where["vault"] == where["location_vault"] == f"local directory {north}"


def test_req26_outside_eu_refused_override_allowed_and_recorded(home):
    with pytest.raises(ValidationError, match="outside the EU"):
        locations.create("us-east", "Virginia", "US", vault_url=str(home / "us"))
    loc = locations.create("us-east", "Virginia", "US", vault_url=str(home / "us"), outside_eu_override=True,
                           actor="operator@example.com")
    event = AuditEvent.objects.filter(action="location.create", target="us-east").get()
    assert event.detail["outside_eu_override"] is True and event.detail["in_eu"] is False
    c = customers.create(factories.partner("Übersee Partner"), "Übersee Kunde", location=loc)
    ingest(c, 2, "us")
    assert files_of(home / "us", c.id)


def test_req26_location_change_refused_once_data_exists(home):
    first = locations.create("de-one", "One", "DE", vault_url=str(home / "one"))
    second = locations.create("de-two", "Two", "DE", vault_url=str(home / "two"))
    partner = factories.partner("Umzug Partner")
    empty = customers.create(partner, "Noch leer", location=first)
    assert (home / "one" / "customers" / empty.id / "meta").is_file()
    locations.assign(empty, second, actor="operator@example.com")
    assert runtime.vault_for(empty.id) is runtime.vault_at(str(home / "two"))
    # its key and record moved with it; nothing of it stays in the old location
    assert files_of(home / "one", empty.id) == [] and (home / "two" / "customers" / empty.id / "meta").is_file()
    full = customers.create(partner, "Schon voll", location=first)
    ingest(full, 1, "move")
    with pytest.raises(ValidationError, match="cannot be changed"):
        locations.assign(full, second)
    full.refresh_from_db()
    assert full.location_id == "de-one"
    assert runtime.vault_for(full.id) is runtime.vault_at(str(home / "one"))


def test_req26_operator_sets_the_vault_url_in_api_and_dashboard(home):
    operator = factories.user("ops@kustos.example", "operator", totp=True)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {tokens.create(operator, 'test')[1]}"}
    client = Client()
    resp = client.post("/api/v1/locations", {"id": "de-api-1", "name": "API DC", "country": "DE",
                                             "vault_url": str(home / "api-vault")},
                       content_type="application/json", **auth)
    assert resp.status_code == 201, resp.content
    resp = client.post("/api/v1/locations", {"id": "de-bad-1", "name": "Bad", "country": "DE",
                                             "vault_url": "ftp://archive.example/x"},
                       content_type="application/json", **auth)
    assert resp.status_code == 422 and "unsupported vault URL scheme 'ftp'" in resp.content.decode()
    resp = client.post("/api/v1/locations", {"id": "us-api-1", "name": "US", "country": "US"},
                       content_type="application/json", **auth)
    assert resp.status_code == 422 and "outside the EU" in resp.content.decode()
    web = sign_in(Client(), operator)
    resp = web.post("/locations/", {"id": "de-web-1", "name": "Web DC", "country": "DE",
                                    "vault_url": str(home / "web-vault")})
    assert resp.status_code == 302
    c = customers.create(factories.partner("Web Partner"), "Web Kunde",
                         location=StorageLocation.objects.get(id="de-web-1"))
    ingest(c, 1, "web")
    assert files_of(home / "web-vault", c.id)
    assert StorageLocation.objects.get(id="de-api-1").vault_url == str(home / "api-vault")
