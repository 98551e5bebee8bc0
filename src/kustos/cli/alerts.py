"""`kustos alerts list|check` (parsers: cli/parsers/alerts.py)."""

from __future__ import annotations

import argparse

from kustos.archive.services import alerts
from kustos.cli import lookup
from kustos.cli.base import Context
from kustos.tenants.models import Customer


def cmd_list(ctx: Context, args: argparse.Namespace) -> list:
    customers = Customer.objects.all()
    if args.customer:
        customers = Customer.objects.filter(id=lookup.customer(args.customer).id)
    return alerts.rows(customers)


def cmd_check(ctx: Context, args: argparse.Namespace) -> dict:
    return {"alerted": alerts.check_silent()}
