"""`kustos audit log|verify` (parsers: cli/parsers/audit.py); the service is audit/query.py."""

from __future__ import annotations

import argparse
import sys

from kustos.audit import query
from kustos.cli import lookup
from kustos.cli.base import Context


def cmd_log(ctx: Context, args: argparse.Namespace) -> list:
    customer = lookup.customer(args.customer).id if args.customer else ""
    f = query.filters(customer=customer, user=args.user or "", action=args.action or "", since=args.since,
                      until=args.until, offset=args.offset, limit=args.limit)
    return [query.row(ev) for ev in query.events(None, f)]


def cmd_verify(ctx: Context, args: argparse.Namespace) -> dict:
    result = query.verify()
    if not result["ok"]:
        broken = result["first_broken"]
        ctx.exit_code = 1
        print(f"kustos: audit chain broken at event {broken['seq']}: {broken['reason']}", file=sys.stderr)
    return result
