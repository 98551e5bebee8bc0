"""`kustos price set --service S --unit U --price EUR [--from DATE]`, `kustos price list`."""

from __future__ import annotations

import argparse
from typing import Any

from kustos.billing.services import prices
from kustos.cli.base import Context


def cmd_set(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    row = prices.set_price(args.service, args.unit, args.price, args.valid_from, actor="cli")
    return prices.as_dict(row, prices.today())


def cmd_list(ctx: Context, args: argparse.Namespace) -> list[dict[str, Any]]:
    return prices.price_list()
