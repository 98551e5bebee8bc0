"""`kustos backup alerts [--customer C] [--since T]` and `kustos backup alerts ack ID` (``--json`` on each)."""

from __future__ import annotations

import argparse
from typing import Any

from kustos.backup.services import alerts
from kustos.cli import lookup
from kustos.cli.base import CLIError, Context
from kustos.tenants.models import Customer

LIST_FIELDS = ("id", "time", "account", "kind", "severity", "detail", "snapshot")


def cmd_list(ctx: Context, args: argparse.Namespace) -> list[dict[str, Any]]:
    if not args.customer:
        raise CLIError("--customer is required to list backup alerts")
    customer = lookup.customer(args.customer)
    rows = [alerts.public(a) for a in alerts.for_customer(customer, alerts.parse_since(args.since), args.open)]
    ctx.render = _render
    return [{k: r[k] for k in LIST_FIELDS} for r in rows]


def _render(rows: list[dict[str, Any]]) -> None:
    if not rows:
        print("no backup alerts")
    for r in rows:
        print(f"{r['id']}  {r['time'][:16]}  {r['severity']:8}  {r['kind']:18}  {r['account']}\n    {r['detail']}")


def cmd_ack(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    alert = alerts.acknowledge(alerts.get(Customer.objects.all(), args.alert), actor="cli")
    return alerts.public(alert)
