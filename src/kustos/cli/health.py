"""`kustos health [--customers [--partner P]]` (parser: cli/parsers/health.py)."""

from __future__ import annotations

import argparse

from kustos.cli import lookup
from kustos.cli.base import CLIError, Context
from kustos.monitoring import health, installation
from kustos.tenants.models import Customer


def cmd_health(ctx: Context, args: argparse.Namespace) -> dict | list:
    if args.partner and not args.customers:
        raise CLIError("--partner needs --customers")
    if args.customers:
        customers = Customer.objects.all()
        if args.partner:
            customers = customers.filter(partner=lookup.partner(args.partner))
        states = health.states(customers)
        if ctx.json:
            return [h.as_dict() for h in states]
        return [{"customer": h.name, "state": h.state,
                 **{name: f"{s.state}: {s.reason_text}" for name, s in h.services.items()}} for h in states]
    settings = ctx.settings
    return installation.snapshot(home=settings.home, heartbeat_timeout=settings.job_heartbeat_timeout)
