"""A partner's notification routes: which event type goes where (e-mail to addresses, e-mail to the
partner's admins, or a webhook endpoint of the partner), optionally for one customer only."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import QuerySet
from django.http import Http404

from kustos.audit import services as audit
from kustos.notify.models import EVENT_TYPES, NotificationRoute, WebhookEndpoint
from kustos.tenants.models import Customer, Partner

CHANNELS = tuple(NotificationRoute.Channel.values)
MAX_ADDRESSES = 20


def _addresses(value: Any) -> list[str]:
    items = value.split(",") if isinstance(value, str) else list(value or [])
    out = []
    for raw in items:
        address = str(raw).strip()
        if not address:
            continue
        try:
            validate_email(address)
        except ValidationError:
            raise ValidationError(f"invalid e-mail address {address!r}") from None
        out.append(address)
    if len(out) > MAX_ADDRESSES:
        raise ValidationError(f"at most {MAX_ADDRESSES} addresses per route")
    return list(dict.fromkeys(out))


def add(partner: Partner, *, event_type: str, channel: str, addresses: Any = (), webhook: str = "",
        customer: str = "", actor: Any) -> NotificationRoute:
    if event_type not in EVENT_TYPES:
        raise ValidationError(f"unknown event type {event_type!r}; one of {', '.join(EVENT_TYPES)}")
    if channel not in CHANNELS:
        raise ValidationError(f"unknown channel {channel!r}; one of {', '.join(CHANNELS)}")
    route = NotificationRoute(partner=partner, event_type=event_type, channel=channel,
                              created_by=str(getattr(actor, "email", actor) or "")[:254])
    if channel == NotificationRoute.Channel.EMAIL:
        route.addresses = _addresses(addresses)
        if not route.addresses:
            raise ValidationError("an e-mail route needs at least one address")
    if channel == NotificationRoute.Channel.WEBHOOK:
        route.webhook = WebhookEndpoint.objects.filter(partner=partner, id=(webhook or "").strip()).first()
        if route.webhook is None:
            raise ValidationError(f"no webhook endpoint {webhook!r} of partner {partner.name}")
    if customer:
        found = Customer.objects.filter(partner=partner, id=customer.strip()).first()
        if found is None:
            raise ValidationError(f"no customer {customer!r} of partner {partner.name}")
        route.customer_id = found.id
    route.save()
    audit.record("notify.route.add", actor=actor, partner=partner, target=route.id, detail=public(route))
    return route


def for_partners(partners: QuerySet[Partner]) -> QuerySet[NotificationRoute]:
    return NotificationRoute.objects.filter(partner__in=partners).select_related("partner", "webhook")


def get(partners: QuerySet[Partner], route_id: str) -> NotificationRoute:
    route = for_partners(partners).filter(id=route_id).first()
    if route is None:
        raise Http404(f"no notification route {route_id!r}")
    return route


def remove(route: NotificationRoute, *, actor: Any) -> dict[str, Any]:
    row = public(route)
    route.delete()
    audit.record("notify.route.remove", actor=actor, partner=row["partner"], target=row["id"], detail=row)
    return row


def public(route: NotificationRoute) -> dict[str, Any]:
    return {"id": route.id, "partner": route.partner_id, "event_type": route.event_type, "channel": route.channel,
            "addresses": list(route.addresses or []), "webhook": route.webhook_id or None,
            "webhook_url": route.webhook.url if route.webhook_id and route.webhook else None,
            "customer": route.customer_id or None}
