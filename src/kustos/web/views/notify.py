"""Dashboard "Notifications" of a partner: routes per event type, webhook endpoints with
"Send test", recent deliveries with response codes. Thin: scope and rights in
``notify.services.scope`` (``accounts.access``), the work in ``notify.services``."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages as messages_ui
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kustos.notify.models import EVENT_TYPES, NotificationRoute
from kustos.notify.services import policy, routes, scope, webhooks
from kustos.tenants.models import Customer, Partner


def _page_url(partner_id: str) -> str:
    return "/notifications/?" + urlencode({"partner": partner_id})


def _page(request: HttpRequest, partner_id: str, new_secret: dict | None = None) -> HttpResponse:
    partners = scope.partners_as(request.user)
    partner_id = partner_id or (partners[0].id if partners.count() == 1 else "")
    context: dict = {"partners": partners, "partner": None, "event_types": EVENT_TYPES,
                     "channels": NotificationRoute.Channel.choices, "new_secret": new_secret}
    if partner_id:
        partner = scope.partner_as(request.user, partner_id)
        one = Partner.objects.filter(id=partner.id)
        context.update(partner=partner, routes=[routes.public(r) for r in routes.for_partners(one)],
                       endpoints=list(webhooks.for_partners(one)), deliveries=webhooks.recent(one),
                       customers=Customer.objects.filter(partner=partner).order_by("name"),
                       settings=policy.settings_for(partner.id))
    return render(request, "kustos/notify/page.html", context)


@login_required
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    return _page(request, request.GET.get("partner", "").strip())


@login_required
@require_POST
def route_action(request: HttpRequest) -> HttpResponse:
    scope.partners_as(request.user)
    if request.POST.get("action") == "remove":
        removed = routes.remove(scope.route_as(request.user, request.POST.get("id", "")), actor=request.user)
        messages_ui.success(request, _("Route removed."))
        return redirect(_page_url(removed["partner"]))
    partner = scope.partner_as(request.user, request.POST.get("partner", ""))
    try:
        routes.add(partner, event_type=request.POST.get("event_type", ""), channel=request.POST.get("channel", ""),
                   addresses=request.POST.get("addresses", ""), webhook=request.POST.get("webhook", ""),
                   customer=request.POST.get("customer", ""), actor=request.user)
    except ValidationError as exc:
        messages_ui.error(request, "; ".join(exc.messages))
    else:
        messages_ui.success(request, _("Route added."))
    return redirect(_page_url(partner.id))


@login_required
@require_POST
def webhook_action(request: HttpRequest) -> HttpResponse:
    scope.partners_as(request.user)
    action = request.POST.get("action", "")
    if action in ("test", "remove"):
        endpoint = scope.webhook_as(request.user, request.POST.get("id", ""))
        if action == "remove":
            webhooks.remove(endpoint, actor=request.user)
            messages_ui.success(request, _("Webhook endpoint removed."))
        else:
            row = webhooks.send_test(endpoint, actor=request.user)
            if row["status"] == "delivered":
                messages_ui.success(request, _("Test event delivered: HTTP %(code)s.") % {"code": row["last_status_code"]})
            else:
                messages_ui.error(request, _("Test event not delivered: %(error)s") % {"error": row["last_error"]})
        return redirect(_page_url(endpoint.partner_id))
    partner = scope.partner_as(request.user, request.POST.get("partner", ""))
    try:
        created = webhooks.create_for_events(partner, request.POST.get("url", ""), request.POST.getlist("events"),
                                             actor=request.user)
    except ValidationError as exc:
        messages_ui.error(request, "; ".join(exc.messages))
        return redirect(_page_url(partner.id))
    return _page(request, partner.id, new_secret=created)


@login_required
@require_POST
def settings_action(request: HttpRequest) -> HttpResponse:
    scope.partners_as(request.user)
    partner = scope.partner_as(request.user, request.POST.get("partner", ""))
    try:
        policy.update(partner, actor=request.user, **{name: request.POST.get(name) for name in policy.BOUNDS})
    except ValidationError as exc:
        messages_ui.error(request, "; ".join(exc.messages))
    else:
        messages_ui.success(request, _("Thresholds saved."))
    return redirect(_page_url(partner.id))
