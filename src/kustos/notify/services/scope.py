"""The caller's notification objects: partner admins for their partner, the operator for all
(``Perm.NOTIFY_MANAGE``, decided in ``accounts.access``); 404 outside the scope, 403 without the right."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.notify.models import NotificationRoute, WebhookEndpoint
from kustos.notify.services import routes, webhooks
from kustos.tenants.models import Partner


def partner_as(user: Any, partner_id: str) -> Partner:
    return access.get_partner(user, partner_id, Perm.NOTIFY_MANAGE)


def partners_as(user: Any) -> QuerySet[Partner]:
    access.require(user, Perm.NOTIFY_MANAGE)
    return access.partners_for(user)


def webhook_as(user: Any, endpoint_id: str) -> WebhookEndpoint:
    endpoint = webhooks.get(access.partners_for(user), endpoint_id)
    access.require(user, Perm.NOTIFY_MANAGE)
    return endpoint


def route_as(user: Any, route_id: str) -> NotificationRoute:
    route = routes.get(access.partners_for(user), route_id)
    access.require(user, Perm.NOTIFY_MANAGE)
    return route
