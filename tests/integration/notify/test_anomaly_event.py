"""A backup run that looks like ransomware raises ``anomaly.detected``: the partner's webhook receives
the critical alerts, the customer's admins still get their mail, the partner's admins are not mailed
(their route says webhook)."""

from __future__ import annotations

import pytest
from django.core import mail

from kustos.backup.services import runs
from kustos.notify.services import routes, signing, webhooks
from tests import factories
from tests.integration.backup.conftest import cloud, customer, source  # noqa: F401  (fixtures)
from tests.integration.backup.test_alerts import age_baselines, baseline_days, office, ransomware  # noqa: F401

pytestmark = pytest.mark.django_db


def test_ransomware_run_reaches_the_partner_webhook(office, cloud, receiver,  # noqa: F811
                                                    django_capture_on_commit_callbacks):
    partner = office.customer.partner
    factories.user("pa@partner.example", "partner_admin", partner=partner)
    factories.user("ca@kunde.example", "customer_admin", customer=office.customer)
    endpoint, secret = webhooks.create(partner, receiver.url, actor="test")
    routes.add(partner, event_type="anomaly.detected", channel="webhook", webhook=endpoint.id, actor="test")
    baseline_days(office, cloud)
    age_baselines(office)
    ransomware(cloud)
    with django_capture_on_commit_callbacks(execute=True):
        runs.run(office)
    assert len(receiver.requests) == 1
    req = receiver.requests[0]
    assert signing.verify(secret, req.headers["x-kustos-timestamp"], req.body, req.headers["x-kustos-signature"])
    body = req.json
    assert body["type"] == "anomaly.detected" and body["customer"] == office.customer_id
    assert "encrypted_content" in {a["kind"] for a in body["detail"]["alerts"]}
    assert {a["severity"] for a in body["detail"]["alerts"]} == {"critical"}
    assert {a["account"] for a in body["detail"]["alerts"]} == {"carla"}
    assert [m.to for m in mail.outbox] == [["ca@kunde.example"]]
