"""THE one entry point of notifications: ``emit(event_type, partner=…, customer=…, title=…, detail=…)``.

It looks up the partner's routes for the event type (a route may be limited to one customer) and
queues what they say: one e-mail to the routes' addresses and the partner's admins (Django's mail
backend, i.e. the configured SMTP server), one webhook delivery per endpoint (a huey task; retries in
``webhooks``). Without any route the event goes to the partner's admins by e-mail (the default
route), unless the producer passes ``default_mail=False`` because it mails its own audience."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q

from kustos.accounts.models import User
from kustos.accounts.roles import Role
from kustos.notify import tasks
from kustos.notify.models import EVENT_TYPES, NotificationRoute, WebhookDelivery
from kustos.notify.services import payloads

log = logging.getLogger("kustos.notify")


@dataclass
class Emitted:
    event: dict[str, Any]
    routes: int = 0
    mailed: list[str] = field(default_factory=list)
    deliveries: list[str] = field(default_factory=list)

    @property
    def routed(self) -> bool:
        return self.routes > 0


def partner_admins(partner_id: str) -> list[str]:
    return sorted(User.objects.filter(is_active=True, role=Role.PARTNER_ADMIN, partner_id=partner_id)
                  .values_list("email", flat=True))


def routes_for(partner_id: str, event_type: str, customer_id: str | None) -> list[NotificationRoute]:
    qs = NotificationRoute.objects.filter(partner_id=partner_id, event_type=event_type).select_related("webhook")
    return list(qs.filter(Q(customer_id="") | Q(customer_id=customer_id or "")))


def emit(event_type: str, *, partner: Any, customer: Any = None, title: str, detail: dict[str, Any],
         default_mail: bool = True) -> Emitted:
    """Route one event; returns what was queued (``routed`` is False when no route matched)."""
    if event_type not in EVENT_TYPES:
        raise ValidationError(f"unknown event type {event_type!r}")
    partner_id = getattr(partner, "id", partner)
    customer_id = getattr(customer, "id", customer) or None
    event = payloads.make(event_type, partner=partner_id, customer=customer_id, title=title, detail=detail)
    out = Emitted(event)
    routes = routes_for(partner_id, event_type, customer_id)
    out.routes = len(routes)
    to: set[str] = set()
    endpoints = {}
    for route in routes:
        if route.channel == NotificationRoute.Channel.EMAIL:
            to.update(a for a in route.addresses if a)
        elif route.channel == NotificationRoute.Channel.ADMINS:
            to.update(partner_admins(partner_id))
        elif route.webhook is not None and route.webhook.active:
            endpoints[route.webhook.id] = route.webhook
    if not routes and default_mail:
        to.update(partner_admins(partner_id))
    for endpoint in endpoints.values():
        delivery = WebhookDelivery.objects.create(endpoint=endpoint, event_id=event["id"], event_type=event_type,
                                                  payload=event, next_attempt_at=event_time(event))
        out.deliveries.append(delivery.id)
        transaction.on_commit(lambda d=delivery.id: tasks.deliver(d))
    if to:
        out.mailed = sorted(to)
        _mail(event, out.mailed)
    return out


def event_time(event: dict[str, Any]) -> Any:
    return payloads.created_at(event)


def render_text(event: dict[str, Any]) -> str:
    lines = [event["title"], ""]
    lines += [f"{key}: {value}" for key, value in event["detail"].items()]
    lines += ["", f"Event {event['type']} ({event['id']}) at {event['created']}"]
    return "\n".join(lines) + "\n"


def _mail(event: dict[str, Any], to: list[str]) -> None:
    try:
        send_mail(f"[Kustos] {event['title']}", render_text(event), settings.DEFAULT_FROM_EMAIL, to,
                  fail_silently=False)
    except Exception as exc:  # noqa: BLE001 - a mail server that is down must not break the producer
        log.warning("notification mail of event %s (%s) could not be sent: %s", event["id"], event["type"],
                    type(exc).__name__)
