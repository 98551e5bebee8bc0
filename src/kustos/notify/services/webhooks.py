"""Webhook endpoints of a partner and their deliveries.

An endpoint's secret is generated here, sealed at rest (``core.secrets``, bound to the endpoint id)
and returned once, at creation. A delivery POSTs the event as JSON, signed (``signing``), with a
10-second timeout and no redirects followed, over a connection the egress policy checked
(``sources.http.EgressTransport``: resolved once, connected to the checked address). Connection
errors and non-2xx answers are retried after 1, 5, 30 minutes, 2 and 12 hours; then the delivery
has failed."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

import httpx
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from kustos.audit import services as audit
from kustos.core.egress import egress_policy
from kustos.core.secrets import open_secret, seal_secret
from kustos.notify.models import WebhookDelivery, WebhookEndpoint
from kustos.notify.services import payloads, routes, signing, urls
from kustos.sources.http import EgressTransport
from kustos.tenants.models import Partner

log = logging.getLogger("kustos.notify")

TIMEOUT_SECONDS = 10.0
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
           timedelta(hours=12))
MAX_ATTEMPTS = len(BACKOFF) + 1
LEASE = timedelta(minutes=2)  # an attempt in progress; longer than the timeout
ERROR_CHARS = 300


def _owner(endpoint_id: str) -> str:
    return f"webhook:{endpoint_id}"


def create(partner: Partner, url: str, *, actor: Any) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its secret (shown this once)."""
    url = urls.check(url, egress_policy())
    secret = signing.new_secret()
    endpoint = WebhookEndpoint(partner=partner, url=url, created_by=str(getattr(actor, "email", actor) or "")[:254])
    endpoint.secret_sealed = seal_secret(secret, _owner(endpoint.id))
    endpoint.save()
    audit.record("notify.webhook.create", actor=actor, partner=partner, target=endpoint.id, detail={"url": url})
    return endpoint, secret


def remove(endpoint: WebhookEndpoint, *, actor: Any) -> dict[str, Any]:
    row = public(endpoint)
    endpoint.delete()
    audit.record("notify.webhook.remove", actor=actor, partner=endpoint.partner_id, target=row["id"],
                 detail={"url": row["url"]})
    return row


def for_partners(partners: QuerySet[Partner]) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(partner__in=partners).select_related("partner")


def get(partners: QuerySet[Partner], endpoint_id: str) -> WebhookEndpoint:
    endpoint = for_partners(partners).filter(id=endpoint_id).first()
    if endpoint is None:
        raise Http404(f"no webhook endpoint {endpoint_id!r}")
    return endpoint


def public(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {"id": endpoint.id, "partner": endpoint.partner_id, "url": endpoint.url, "active": endpoint.active,
            "created_at": endpoint.created_at.isoformat() if endpoint.created_at else None,
            "created_by": endpoint.created_by}


def delivery_row(d: WebhookDelivery) -> dict[str, Any]:
    return {"id": d.id, "endpoint": d.endpoint_id, "event_id": d.event_id, "type": d.event_type,
            "status": d.status, "attempts": d.attempts, "last_status_code": d.last_status_code,
            "last_error": d.last_error, "created_at": d.created_at.isoformat(),
            "next_attempt_at": d.next_attempt_at.isoformat() if d.next_attempt_at else None,
            "delivered_at": d.delivered_at.isoformat() if d.delivered_at else None}


def deliveries(endpoint: WebhookEndpoint, limit: int = 50) -> list[dict[str, Any]]:
    return [delivery_row(d) for d in endpoint.deliveries.all()[:limit]]


def recent(partners: QuerySet[Partner], limit: int = 20) -> list[WebhookDelivery]:
    return list(WebhookDelivery.objects.filter(endpoint__partner__in=partners).select_related("endpoint")[:limit])


# --- delivery --------------------------------------------------------------------------------

def _one_line(text: str) -> str:
    return " ".join(str(text).split())[:ERROR_CHARS]


def send(endpoint: WebhookEndpoint, payload: dict[str, Any], delivery_id: str) -> tuple[int | None, str]:
    """POST ``payload`` once; (status code or None, error line or "")."""
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = str(int(timezone.now().timestamp()))
    secret = open_secret(endpoint.secret_sealed, _owner(endpoint.id))
    headers = {"Content-Type": "application/json", "User-Agent": "Kustos-Webhook/1",
               "X-Kustos-Event": payload.get("type", ""), "X-Kustos-Delivery": delivery_id,
               "X-Kustos-Timestamp": timestamp, "X-Kustos-Signature": signing.signature(secret, timestamp, body)}
    policy = egress_policy()
    try:
        urls.check(endpoint.url, policy)
        with httpx.Client(transport=EgressTransport(policy), timeout=TIMEOUT_SECONDS, follow_redirects=False,
                          trust_env=False) as client:
            response = client.post(endpoint.url, content=body, headers=headers)
    except ValidationError as exc:
        return None, _one_line(exc.messages[0])
    except (httpx.HTTPError, OSError) as exc:
        return None, _one_line(f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # noqa: BLE001 - e.g. EgressRefused from the transport: recorded, retried
        return None, _one_line(f"{type(exc).__name__}: {exc}")
    if 200 <= response.status_code < 300:
        return response.status_code, ""
    return response.status_code, f"HTTP {response.status_code}"


def attempt(delivery: WebhookDelivery, now: datetime | None = None) -> WebhookDelivery | None:
    """One attempt of a pending delivery; schedules the next one or marks it delivered / failed.

    The attempt is claimed first (attempt count and a lease in one conditional update), so two workers
    (the queued task and the minute's retry run) never send the same attempt twice; None when another
    claimed it. A worker that dies while sending leaves the lease, after which the next run retries."""
    if delivery.status != WebhookDelivery.Status.PENDING:
        return None
    now = now or timezone.now()
    claimed = WebhookDelivery.objects.filter(id=delivery.id, status=WebhookDelivery.Status.PENDING,
                                             attempts=delivery.attempts).update(
        attempts=delivery.attempts + 1, next_attempt_at=now + LEASE)
    if not claimed:
        return None
    delivery.attempts += 1
    code, error = send(delivery.endpoint, delivery.payload, delivery.id)
    delivery.last_status_code = code
    delivery.last_error = error
    if not error:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = WebhookDelivery.Status.DELIVERED, now, None
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status, delivery.next_attempt_at = WebhookDelivery.Status.FAILED, None
    else:
        delivery.next_attempt_at = now + BACKOFF[delivery.attempts - 1]
    WebhookDelivery.objects.filter(id=delivery.id).update(
        status=delivery.status, last_status_code=code, last_error=error,
        delivered_at=delivery.delivered_at, next_attempt_at=delivery.next_attempt_at)
    if delivery.status == WebhookDelivery.Status.FAILED:
        log.warning("webhook delivery %s to endpoint %s failed after %d attempts", delivery.id,
                    delivery.endpoint_id, delivery.attempts)
    return delivery


def attempt_id(delivery_id: str) -> WebhookDelivery | None:
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(id=delivery_id).first()
    return attempt(delivery) if delivery is not None else None


def run_due(now: datetime | None = None) -> int:
    """Attempt every pending delivery whose time has come (the scheduler, every minute)."""
    now = now or timezone.now()
    due = WebhookDelivery.objects.select_related("endpoint").filter(
        status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now).order_by("next_attempt_at")
    return sum(1 for delivery in due[:500] if attempt(delivery, now=now) is not None)


def send_test(endpoint: WebhookEndpoint, *, actor: Any) -> dict[str, Any]:
    """Send a ``test`` event now (not retried); the delivery row with its status code."""
    event = payloads.make("test", partner=endpoint.partner_id, customer=None, title="Test event from Kustos",
                           detail={"endpoint": endpoint.id})
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event_id=event["id"], event_type="test",
                                              payload=event, next_attempt_at=None)
    code, error = send(endpoint, event, delivery.id)
    now = timezone.now()
    status = WebhookDelivery.Status.FAILED if error else WebhookDelivery.Status.DELIVERED
    WebhookDelivery.objects.filter(id=delivery.id).update(
        status=status, attempts=1, last_status_code=code, last_error=error, delivered_at=None if error else now)
    delivery.refresh_from_db()
    audit.record("notify.webhook.test", actor=actor, partner=endpoint.partner_id, target=endpoint.id,
                 outcome="ok" if not error else "failed", detail={"status_code": code})
    return delivery_row(delivery)


def create_for_events(partner: Partner, url: str, events: list[str], *, actor: Any) -> dict[str, Any]:
    """A new endpoint plus one webhook route per event type (all or nothing); the row with the secret."""
    with transaction.atomic():
        endpoint, secret = create(partner, url, actor=actor)
        added = [routes.add(partner, event_type=e, channel="webhook", webhook=endpoint.id, actor=actor)
                 for e in dict.fromkeys(events)]
    return {**public(endpoint), "secret": secret, "events": [r.event_type for r in added]}


def parse_events(text: str | None) -> list[str]:
    return [e.strip() for e in (text or "").split(",") if e.strip()]
