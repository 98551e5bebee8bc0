"""`kustos usage sample [--as-of TIME]` and `kustos usage show --customer C [--service S] [--month M]`."""

from __future__ import annotations

import argparse
from typing import Any

from kustos.billing.models import UsageSample
from kustos.billing.services import usage
from kustos.cli import lookup
from kustos.cli.base import CLIError, Context


def cmd_sample(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    return usage.sample(usage.parse_as_of(args.as_of))


def _customer_id(ref: str) -> str:
    try:
        return lookup.customer(ref).id
    except CLIError:
        if UsageSample.objects.filter(customer_id=ref.strip()).exists():
            return ref.strip()  # a deleted customer's history stays
        raise


def cmd_show(ctx: Context, args: argparse.Namespace) -> list[dict[str, Any]]:
    return usage.show(_customer_id(args.customer), args.service, args.month)
