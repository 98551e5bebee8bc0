"""Issue 13.5: alerts reach real receivers — a local SMTP sink and a local HTTP endpoint that checks
the webhook signature; retries with backoff; private-network webhook URLs are refused."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from kustos.archive.services import alerts
from kustos.archive.services import sources as source_service
from kustos.jobs.models import Job
from kustos.notify.models import WebhookDelivery
from kustos.notify.services import events, routes, signing, webhooks
from tests import factories

pytestmark = pytest.mark.django_db


def _failing_source(customer, capture):
    """An IMAP source on a port where nothing listens, run until its failure alert is raised."""
    source = source_service.add(customer, "imap", {"host": "127.0.0.1", "port": 9, "security": "none",
                                                   "username": "x"}, "pw")
    for _ in range(alerts.FAILURE_THRESHOLD):
        with capture(execute=True):
            job = source_service.run_now(source)
        job.refresh_from_db()
        assert job.state == Job.State.FAILED
    return source


def _check_signature(req, secret):
    assert req.headers["x-kustos-signature"] == signing.signature(secret, req.headers["x-kustos-timestamp"], req.body)
    assert signing.verify(secret, req.headers["x-kustos-timestamp"], req.body, req.headers["x-kustos-signature"])
    assert not signing.verify("whsec_other", req.headers["x-kustos-timestamp"], req.body,
                              req.headers["x-kustos-signature"])


def test_failing_source_reaches_smtp_sink_and_signed_webhook(notify_customer, receiver, smtp_sink,
                                                             django_capture_on_commit_callbacks):
    partner = notify_customer.partner
    endpoint, secret = webhooks.create(partner, receiver.url, actor="test")
    assert secret.startswith("whsec_") and secret not in endpoint.secret_sealed  # sealed at rest
    routes.add(partner, event_type="source.failing", channel="email", addresses="noc@melde-partner.example",
               actor="test")
    routes.add(partner, event_type="source.failing", channel="webhook", webhook=endpoint.id, actor="test")

    source = _failing_source(notify_customer, django_capture_on_commit_callbacks)

    # e-mail: through Django's SMTP backend into the sink, to the route's address (not the default admins)
    assert len(smtp_sink.messages) == 1
    msg = smtp_sink.messages[0]
    assert msg["to"] == ["noc@melde-partner.example"]
    assert "is failing" in msg["data"] and source.name in msg["data"]
    # webhook: one signed POST with the documented body and headers
    assert len(receiver.requests) == 1
    req = receiver.requests[0]
    _check_signature(req, secret)
    assert req.path == "/hooks/kustos"
    assert req.headers["x-kustos-event"] == "source.failing"
    body = req.json
    assert set(body) == {"id", "type", "created", "partner", "customer", "title", "detail"}
    assert body["type"] == "source.failing" and body["partner"] == partner.id
    assert body["customer"] == notify_customer.id and body["detail"]["source"] == source.id
    assert body["detail"]["consecutive_failures"] == alerts.FAILURE_THRESHOLD
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert req.headers["x-kustos-delivery"] == delivery.id
    assert (delivery.status, delivery.last_status_code, delivery.attempts) == ("delivered", 200, 1)
    assert webhooks.deliveries(endpoint)[0]["last_status_code"] == 200


def test_without_a_route_the_partner_admins_get_the_mail(notify_customer, smtp_sink,
                                                         django_capture_on_commit_callbacks):
    _failing_source(notify_customer, django_capture_on_commit_callbacks)
    assert len(smtp_sink.messages) == 1
    assert smtp_sink.messages[0]["to"] == ["admin@melde-partner.example"]
    assert WebhookDelivery.objects.count() == 0


def test_webhook_answering_500_is_retried_with_backoff_until_200(notify_customer, receiver,
                                                                django_capture_on_commit_callbacks):
    partner = notify_customer.partner
    endpoint, secret = webhooks.create(partner, receiver.url, actor="test")
    routes.add(partner, event_type="backup.failing", channel="webhook", webhook=endpoint.id, actor="test")
    receiver.codes = [500, 503]
    with django_capture_on_commit_callbacks(execute=True):
        emitted = events.emit("backup.failing", partner=partner, customer=notify_customer, title="backup failed",
                              detail={"error": "x"})
    assert emitted.routed and len(emitted.deliveries) == 1
    delivery = WebhookDelivery.objects.get(id=emitted.deliveries[0])
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert delivery.last_error == "HTTP 500"
    first = delivery.next_attempt_at
    assert timedelta(seconds=55) < first - timezone.now() <= timedelta(minutes=1)
    # not due yet: nothing is sent
    assert webhooks.run_due(now=first - timedelta(seconds=1)) == 0
    assert len(receiver.requests) == 1
    # the clock advanced past the first backoff (1 min): second attempt, 503, next in 5 minutes
    assert webhooks.run_due(now=first) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 2, 503)
    assert delivery.next_attempt_at == first + timedelta(minutes=5)
    assert webhooks.run_due(now=delivery.next_attempt_at) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 3, 200)
    assert delivery.delivered_at is not None and delivery.next_attempt_at is None
    assert [r.headers["x-kustos-delivery"] for r in receiver.requests] == [delivery.id] * 3
    for req in receiver.requests:
        _check_signature(req, secret)
    assert webhooks.run_due(now=timezone.now() + timedelta(days=1)) == 0


def test_webhook_gives_up_after_the_last_backoff(notify_customer, receiver, django_capture_on_commit_callbacks):
    partner = notify_customer.partner
    endpoint, _ = webhooks.create(partner, receiver.url, actor="test")
    routes.add(partner, event_type="anomaly.detected", channel="webhook", webhook=endpoint.id, actor="test")
    receiver.codes = [500] * 10
    with django_capture_on_commit_callbacks(execute=True):
        emitted = events.emit("anomaly.detected", partner=partner, customer=notify_customer, title="t", detail={})
    delivery = WebhookDelivery.objects.get(id=emitted.deliveries[0])
    gaps = []
    while delivery.status == "pending":
        previous = delivery.next_attempt_at
        webhooks.run_due(now=previous)
        delivery.refresh_from_db()
        if delivery.next_attempt_at:
            gaps.append(delivery.next_attempt_at - previous)
    assert gaps[:4] == [timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2), timedelta(hours=12)]
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 6, 500)
    assert len(receiver.requests) == 6


def test_private_network_webhook_urls_are_refused(notify_customer, receiver, settings):
    partner = notify_customer.partner
    for url in ("https://10.1.2.3/hook", "https://192.168.0.10/hook", "https://169.254.169.254/latest/meta-data",
                "https://[fd00::1]/hook"):
        with pytest.raises(ValidationError, match="refused"):
            webhooks.create(partner, url, actor="test")
    with pytest.raises(ValidationError, match="https is required"):
        webhooks.create(partner, "http://93.184.216.34/hook", actor="test")
    with pytest.raises(ValidationError, match="no user name or password"):
        webhooks.create(partner, "https://user:pw@93.184.216.34/hook", actor="test")
    allowed, _ = webhooks.create(partner, receiver.url, actor="test")  # loopback allowed in tests
    # without the tests' loopback allowance, the server's own address is refused too ...
    settings.KUSTOS = replace(django_settings.KUSTOS, sources_allowed_networks=(), sources_allow_private_networks=False)
    with pytest.raises(ValidationError, match="refused"):
        webhooks.create(partner, receiver.url, actor="test")
    # ... and an existing endpoint is checked again at delivery: nothing reaches it
    row = webhooks.send_test(allowed, actor="test")
    assert row["last_status_code"] is None and "refused" in row["last_error"] and row["status"] == "failed"
    assert receiver.requests == []


def test_redirects_are_not_followed(notify_customer, receiver, django_capture_on_commit_callbacks):
    partner = notify_customer.partner
    endpoint, _ = webhooks.create(partner, receiver.url, actor="test")
    routes.add(partner, event_type="journal.silent", channel="webhook", webhook=endpoint.id, actor="test")
    receiver.codes = [302]
    with django_capture_on_commit_callbacks(execute=True):
        emitted = events.emit("journal.silent", partner=partner, customer=notify_customer, title="t", detail={})
    delivery = WebhookDelivery.objects.get(id=emitted.deliveries[0])
    assert (delivery.status, delivery.last_status_code, delivery.last_error) == ("pending", 302, "HTTP 302")
    assert [r.path for r in receiver.requests] == ["/hooks/kustos"]  # /followed was never requested


def test_a_route_takes_the_partner_side_the_customer_admins_keep_their_mail(notify_customer, smtp_sink,
                                                                           django_capture_on_commit_callbacks):
    factories.user("it@melde-kunde.example", "customer_admin", customer=notify_customer)
    routes.add(notify_customer.partner, event_type="source.failing", channel="email",
               addresses=["noc@melde-partner.example"], actor="test")
    _failing_source(notify_customer, django_capture_on_commit_callbacks)
    assert sorted(tuple(m["to"]) for m in smtp_sink.messages) == [("it@melde-kunde.example",),
                                                                  ("noc@melde-partner.example",)]
    assert all("admin@melde-partner.example" not in m["to"] for m in smtp_sink.messages)


def test_an_attempt_is_sent_once_when_two_workers_pick_it(notify_customer, receiver):
    partner = notify_customer.partner
    endpoint, _ = webhooks.create(partner, receiver.url, actor="test")
    routes.add(partner, event_type="source.late", channel="webhook", webhook=endpoint.id, actor="test")
    receiver.codes = [500]
    emitted = events.emit("source.late", partner=partner, customer=notify_customer, title="t", detail={})
    # the queued task has not run yet (the transaction did not commit): both workers see attempt 0
    first, second = (WebhookDelivery.objects.select_related("endpoint").get(id=emitted.deliveries[0])
                     for _ in range(2))
    assert webhooks.attempt(first) is not None
    assert webhooks.attempt(second) is None
    assert len(receiver.requests) == 1
    delivery = WebhookDelivery.objects.get(id=first.id)
    assert (delivery.attempts, delivery.last_status_code) == (1, 500)
    # the minute's retry run does not pick it before its backoff either
    assert webhooks.run_due() == 0 and len(receiver.requests) == 1
