"""`kustos webhook …` and `kustos notify …` (parsers: cli/parsers/notify.py)."""

from __future__ import annotations

import argparse

from kustos.cli import lookup
from kustos.cli.base import Context
from kustos.notify.services import checks, policy, routes, webhooks
from kustos.tenants.models import Partner


def _partners(ref: str | None):
    return Partner.objects.filter(id=lookup.partner(ref).id) if ref else Partner.objects.all()


def cmd_webhook_add(ctx: Context, args: argparse.Namespace) -> dict:
    row = webhooks.create_for_events(lookup.partner(args.partner), args.url, webhooks.parse_events(args.events),
                                     actor="cli")
    ctx.info("The signing secret is shown only now; keep it with the receiver.")
    return row


def cmd_webhook_list(ctx: Context, args: argparse.Namespace) -> list:
    return [webhooks.public(e) for e in webhooks.for_partners(_partners(args.partner))]


def cmd_webhook_test(ctx: Context, args: argparse.Namespace) -> dict:
    row = webhooks.send_test(webhooks.get(Partner.objects.all(), args.id), actor="cli")
    if row["status"] != "delivered":
        ctx.exit_code = 1
    return {"status_code": row["last_status_code"], "status": row["status"], "error": row["last_error"],
            "delivery": row["id"]}


def cmd_webhook_deliveries(ctx: Context, args: argparse.Namespace) -> list:
    return webhooks.deliveries(webhooks.get(Partner.objects.all(), args.id))


def cmd_webhook_remove(ctx: Context, args: argparse.Namespace) -> dict:
    return webhooks.remove(webhooks.get(Partner.objects.all(), args.id), actor="cli")


def cmd_route_add(ctx: Context, args: argparse.Namespace) -> dict:
    partner = lookup.partner(args.partner)
    customer = lookup.customer(args.customer).id if args.customer else ""
    return routes.public(routes.add(partner, event_type=args.event, channel=args.channel, addresses=args.to,
                                    webhook=args.webhook, customer=customer, actor="cli"))


def cmd_route_list(ctx: Context, args: argparse.Namespace) -> list:
    return [routes.public(r) for r in routes.for_partners(_partners(args.partner))]


def cmd_route_remove(ctx: Context, args: argparse.Namespace) -> dict:
    return routes.remove(routes.get(Partner.objects.all(), args.id), actor="cli")


def cmd_settings(ctx: Context, args: argparse.Namespace) -> dict:
    partner = lookup.partner(args.partner)
    values = {"growth_percent": args.growth_percent, "growth_days": args.growth_days,
              "trial_notice_days": args.trial_notice_days}
    if all(v is None for v in values.values()):
        return policy.public(policy.settings_for(partner.id))
    return policy.public(policy.update(partner, actor="cli", **values))


def cmd_check(ctx: Context, args: argparse.Namespace) -> dict:
    return checks.run_all()


def cmd_retry(ctx: Context, args: argparse.Namespace) -> dict:
    return {"attempted": webhooks.run_due()}
