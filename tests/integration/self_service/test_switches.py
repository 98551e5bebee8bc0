"""The self-service switches: read and changed through the API, the CLI and the dashboard page (English
and German), by customer admins and partner staff only; every change is audited with before and after."""

from __future__ import annotations

import json

import pytest

from kustos.audit.models import AuditEvent
from kustos.cli import registry
from kustos.tenants.models import SelfService
from tests.integration.self_service.conftest import World

pytestmark = pytest.mark.django_db


def _url(world: World) -> str:
    return f"/api/v1/customers/{world.customer.id}/self-service"


def test_api_defaults_change_and_audit(world: World):
    c = world.client("admin")
    got = c.get(_url(world), **world.api("admin"))
    assert got.status_code == 200
    assert {k: got.json()[k] for k in ("search", "download", "restore", "imap")} == dict.fromkeys(
        ("search", "download", "restore", "imap"), True)
    put = c.put(_url(world), data=json.dumps({"download": False, "imap": False}), content_type="application/json",
                **world.api("admin"))
    assert put.status_code == 200, put.content
    assert put.json()["download"] is False and put.json()["imap"] is False and put.json()["search"] is True
    assert put.json()["updated_by"] == "it@kunde.example"
    row = SelfService.objects.get(customer=world.customer)
    assert (row.search, row.download, row.restore, row.imap) == (True, False, True, False)
    event = AuditEvent.objects.filter(action="customer.self_service").latest("seq")
    assert event.actor == "it@kunde.example" and event.customer_id == world.customer.id
    assert event.detail["changed"] == ["download", "imap"]
    assert event.detail["before"]["download"] is True and event.detail["after"]["download"] is False
    # Only the switches given change.
    again = c.put(_url(world), data=json.dumps({"download": True}), content_type="application/json",
                  **world.api("admin")).json()
    assert again["download"] is True and again["imap"] is False


def test_partner_staff_may_change_end_users_may_not(world: World):
    tech = world.client("tech").put(_url(world), data=json.dumps({"restore": False}),
                                    content_type="application/json", **world.api("tech"))
    assert tech.status_code == 200 and tech.json()["restore"] is False
    end_user = world.client("end_user")
    denied = end_user.put(_url(world), data=json.dumps({"restore": True}), content_type="application/json",
                          **world.api("end_user"))
    assert denied.status_code == 403
    assert SelfService.objects.get(customer=world.customer).restore is False
    # Reading needs the customer in scope (end users have no customer view: 403/404, never the data).
    assert end_user.get(_url(world), **world.api("end_user")).status_code in (403, 404)
    bad = world.client("admin").put(_url(world), data=json.dumps({"search": "maybe"}),
                                    content_type="application/json", **world.api("admin"))
    assert bad.status_code in (400, 422)


def test_cli_shows_and_changes(world: World, capsys):
    assert registry.run(["customer", "self-service", world.customer.id, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["imap"] is True
    assert registry.run(["customer", "self-service", world.customer.name, "--imap", "off", "--search", "off",
                         "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["imap"] is False and out["search"] is False and out["download"] is True
    assert AuditEvent.objects.filter(action="customer.self_service", actor="cli").count() == 1
    assert registry.run(["customer", "self-service", "no-such-customer", "--json"]) == 1
    assert "no-such-customer" in capsys.readouterr().err


def test_dashboard_page_in_english_and_german(world: World):
    admin = world.client("admin")
    url = f"/customers/{world.customer.id}/self-service/"
    page = admin.get(url).content.decode()
    assert "Self-service for end users" in page and "IMAP access for mail clients" in page
    assert 'data-testid="switch-download"' in page and 'data-testid="self-service-save"' in page
    # Unticked boxes are sent as absent: download and imap off.
    resp = admin.post(url, {"form": "self-service", "search": "on", "restore": "on"})
    assert resp.status_code == 302
    row = SelfService.objects.get(customer=world.customer)
    assert (row.search, row.download, row.restore, row.imap) == (True, False, True, False)
    admin.cookies.load({"django_language": "de"})
    german = admin.get(url, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Selbstbedienung für Endbenutzer" in german and "IMAP-Zugriff für Mailprogramme" in german
    detail = admin.get(f"/customers/{world.customer.id}/").content.decode()
    assert f"/customers/{world.customer.id}/self-service/" in detail
    # End users neither see nor change the page.
    end_user = world.client("end_user")
    assert end_user.get(url).status_code in (403, 404)
    assert end_user.post(url, {"form": "self-service", "search": "on", "download": "on", "restore": "on",
                               "imap": "on"}).status_code in (403, 404)
    # A post without the form's fields changes nothing.
    assert admin.post(url, {}).status_code == 302
    assert SelfService.objects.get(customer=world.customer).download is False
