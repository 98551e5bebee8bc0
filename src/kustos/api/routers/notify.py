"""/api/v1 notifications of a partner: routes (event type -> e-mail or webhook), signed webhook
endpoints (the secret is returned once, at creation), a test event, deliveries with response codes.
Partner admins for their partner, the operator for every partner (``notify.manage``)."""

from __future__ import annotations

from ninja import Router, Schema

from kustos.notify.models import EVENT_TYPES
from kustos.notify.services import policy, routes, scope, webhooks
from kustos.tenants.models import Partner

router = Router(tags=["notifications"])


class RouteIn(Schema):
    event_type: str = ""
    channel: str = ""
    addresses: list[str] = []
    webhook: str = ""
    customer: str = ""


class SettingsIn(Schema):
    growth_percent: int | None = None
    growth_days: int | None = None
    trial_notice_days: int | None = None


class WebhookIn(Schema):
    url: str = ""
    events: list[str] = []


@router.get("/notify/event-types", response=list[str], summary="The event types a route can name")
def event_types(request):
    scope.partners_as(request.auth)
    return list(EVENT_TYPES)


@router.get("/partners/{partner_id}/notify/routes", response=list[dict], summary="A partner's notification routes")
def list_routes(request, partner_id: str):
    partner = scope.partner_as(request.auth, partner_id)
    return [routes.public(r) for r in routes.for_partners(Partner.objects.filter(id=partner.id))]


@router.post("/partners/{partner_id}/notify/routes", response={201: dict},
             summary="Send an event type to e-mail addresses, the partner's admins or a webhook endpoint")
def add_route(request, partner_id: str, body: RouteIn):
    partner = scope.partner_as(request.auth, partner_id)
    route = routes.add(partner, event_type=body.event_type, channel=body.channel, addresses=body.addresses,
                       webhook=body.webhook, customer=body.customer, actor=request.auth)
    return 201, routes.public(route)


@router.delete("/notify/routes/{route_id}", response=dict, summary="Remove a notification route")
def remove_route(request, route_id: str):
    return routes.remove(scope.route_as(request.auth, route_id), actor=request.auth)


@router.get("/partners/{partner_id}/webhooks", response=list[dict], summary="A partner's webhook endpoints")
def list_webhooks(request, partner_id: str):
    partner = scope.partner_as(request.auth, partner_id)
    return [webhooks.public(e) for e in webhooks.for_partners(Partner.objects.filter(id=partner.id))]


@router.post("/partners/{partner_id}/webhooks", response={201: dict},
             summary="Add a webhook endpoint (https; the signing secret is in this answer only) with routes "
                     "for the given events")
def add_webhook(request, partner_id: str, body: WebhookIn):
    partner = scope.partner_as(request.auth, partner_id)
    return 201, webhooks.create_for_events(partner, body.url, body.events, actor=request.auth)


@router.delete("/webhooks/{webhook_id}", response=dict, summary="Remove a webhook endpoint and its routes")
def remove_webhook(request, webhook_id: str):
    return webhooks.remove(scope.webhook_as(request.auth, webhook_id), actor=request.auth)


@router.post("/webhooks/{webhook_id}/test", response=dict,
             summary="Send a test event now; the delivery with its response code")
def test_webhook(request, webhook_id: str):
    return webhooks.send_test(scope.webhook_as(request.auth, webhook_id), actor=request.auth)


@router.get("/webhooks/{webhook_id}/deliveries", response=list[dict],
            summary="Recent deliveries of a webhook endpoint with response codes")
def list_deliveries(request, webhook_id: str):
    return webhooks.deliveries(scope.webhook_as(request.auth, webhook_id))


@router.get("/partners/{partner_id}/notify/settings", response=dict,
            summary="A partner's thresholds: storage growth (percent within days), days of notice before a trial ends")
def get_settings(request, partner_id: str):
    return policy.public(policy.settings_for(scope.partner_as(request.auth, partner_id).id))


@router.post("/partners/{partner_id}/notify/settings", response=dict,
             summary="Change a partner's thresholds (fields left out are kept)")
def set_settings(request, partner_id: str, body: SettingsIn):
    partner = scope.partner_as(request.auth, partner_id)
    return policy.public(policy.update(partner, actor=request.auth, **body.dict()))
