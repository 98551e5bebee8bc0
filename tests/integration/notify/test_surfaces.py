"""The Notifications page, the REST API and the `kustos webhook` / `kustos notify route` commands
drive the same services: an endpoint added with its secret shown once, "Send test" reaching a real
HTTP receiver, deliveries listed with response codes; partner admins for their partner only."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from kustos.cli import registry
from kustos.notify.models import NotificationRoute, WebhookDelivery, WebhookEndpoint
from kustos.notify.services import signing
from tests import factories
from tests.integration.web.session import sign_in

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    return sign_in(Client(), user)


def test_dashboard_page_add_endpoint_send_test_and_list_deliveries(notify_customer, receiver):
    partner = notify_customer.partner
    admin = factories.user("second@melde-partner.example", "partner_admin", partner=partner, totp=True)
    client = _client(admin)
    page = client.get("/notifications/")
    assert page.status_code == 200 and b"Webhook endpoints" in page.content

    added = client.post("/notifications/webhooks/", {"action": "add", "partner": partner.id, "url": receiver.url,
                                                     "events": ["source.failing", "trial.ending"]})
    assert added.status_code == 200
    endpoint = WebhookEndpoint.objects.get(partner=partner)
    secret = added.context["new_secret"]["secret"]
    assert secret.encode() in added.content and b'data-testid="webhook-secret"' in added.content
    assert sorted(NotificationRoute.objects.filter(webhook=endpoint).values_list("event_type", flat=True)) == [
        "source.failing", "trial.ending"]
    # the secret is not shown again
    assert secret.encode() not in client.get("/notifications/").content

    tested = client.post("/notifications/webhooks/", {"action": "test", "id": endpoint.id}, follow=True)
    assert tested.status_code == 200 and b"HTTP 200" in tested.content
    assert len(receiver.requests) == 1 and receiver.requests[0].headers["x-kustos-event"] == "test"
    req = receiver.requests[0]
    assert signing.verify(secret, req.headers["x-kustos-timestamp"], req.body, req.headers["x-kustos-signature"])
    assert b'data-testid="notify-delivery"' in tested.content

    bad = client.post("/notifications/routes/", {"action": "add", "partner": partner.id, "event_type": "nope",
                                                 "channel": "email"}, follow=True)
    assert b"unknown event type" in bad.content
    ok = client.post("/notifications/routes/", {"action": "add", "partner": partner.id, "event_type": "storage.growth",
                                                "channel": "email", "addresses": "noc@melde-partner.example"},
                     follow=True)
    assert ok.status_code == 200 and b"noc@melde-partner.example" in ok.content
    refused = client.post("/notifications/webhooks/", {"action": "add", "partner": partner.id,
                                                       "url": "https://10.0.0.1/hook"}, follow=True)
    assert b"refused" in refused.content and WebhookEndpoint.objects.count() == 1


def test_api_endpoint_test_and_deliveries_and_scope(notify_customer, receiver):
    partner = notify_customer.partner
    admin = factories.user("api@melde-partner.example", "partner_admin", partner=partner, totp=True)
    api = _client(admin)
    made = api.post(f"/api/v1/partners/{partner.id}/webhooks", {"url": receiver.url, "events": ["backup.failing"]},
                    content_type="application/json")
    assert made.status_code == 201
    body = made.json()
    assert body["secret"].startswith("whsec_") and body["events"] == ["backup.failing"]
    listed = api.get(f"/api/v1/partners/{partner.id}/webhooks").json()
    assert [e["id"] for e in listed] == [body["id"]] and "secret" not in listed[0]
    test = api.post(f"/api/v1/webhooks/{body['id']}/test")
    assert test.status_code == 200 and test.json()["last_status_code"] == 200
    deliveries = api.get(f"/api/v1/webhooks/{body['id']}/deliveries").json()
    assert [(d["type"], d["last_status_code"]) for d in deliveries] == [("test", 200)]
    bad = api.post(f"/api/v1/partners/{partner.id}/webhooks", {"url": "https://192.168.1.1/x"},
                   content_type="application/json")
    assert bad.status_code == 422 and "refused" in bad.json()["detail"]

    other = factories.partner("Fremd Partner")
    stranger = _client(factories.user("admin@fremd.example", "partner_admin", partner=other, totp=True))
    assert stranger.get(f"/api/v1/webhooks/{body['id']}/deliveries").status_code == 404
    assert stranger.post(f"/api/v1/webhooks/{body['id']}/test").status_code == 404
    tech = _client(factories.user("tech@melde-partner.example", "partner_tech", partner=partner, totp=True))
    assert tech.get(f"/api/v1/partners/{partner.id}/webhooks").status_code == 403
    assert tech.post(f"/api/v1/webhooks/{body['id']}/test").status_code == 403
    assert WebhookDelivery.objects.count() == 1


def test_cli_webhook_add_list_test_deliveries_and_routes(notify_customer, receiver, capsys):
    partner = notify_customer.partner
    assert registry.run(["webhook", "add", "--partner", partner.name, "--url", receiver.url,
                         "--events", "source.failing,journal.silent", "--json"]) == 0
    made = json.loads(capsys.readouterr().out)
    assert made["secret"].startswith("whsec_") and made["events"] == ["source.failing", "journal.silent"]
    assert registry.run(["webhook", "list", "--partner", partner.id, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in rows] == [made["id"]] and "secret" not in rows[0]
    assert registry.run(["webhook", "test", made["id"]]) == 0
    out = capsys.readouterr().out
    assert "status_code" in out and "200" in out
    assert registry.run(["webhook", "deliveries", made["id"], "--json"]) == 0
    assert [d["last_status_code"] for d in json.loads(capsys.readouterr().out)] == [200]

    assert registry.run(["notify", "route", "add", "--partner", partner.id, "--event", "trial.ending",
                         "--channel", "email", "--to", "billing@melde-partner.example", "--json"]) == 0
    route = json.loads(capsys.readouterr().out)
    assert route["addresses"] == ["billing@melde-partner.example"]
    assert registry.run(["notify", "route", "list", "--partner", partner.id, "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 3
    assert registry.run(["notify", "route", "remove", route["id"], "--json"]) == 0
    capsys.readouterr()
    assert registry.run(["notify", "route", "add", "--partner", partner.id, "--event", "bogus",
                         "--channel", "admins"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("kustos: error: unknown event type 'bogus'") and err.count("\n") == 1
    assert registry.run(["webhook", "add", "--partner", partner.id, "--url", "https://10.9.9.9/"]) == 1
    assert "refused" in capsys.readouterr().err
    # a receiver that answers 500: the test command says so and exits non-zero
    receiver.codes = [500]
    assert registry.run(["webhook", "test", made["id"]]) == 1
    assert "500" in capsys.readouterr().out
