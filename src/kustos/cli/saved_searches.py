"""`kustos saved-search add|list|share|remove` (parsers: cli/parsers/saved_searches.py).

The local CLI has the installation's authority; the owner of a search saved here is ``cli``.
"""

from __future__ import annotations

import argparse

from kustos.cli import lookup
from kustos.cli.base import Context
from kustos.compliance.services import saved_searches


def cmd_add(ctx: Context, args: argparse.Namespace) -> dict:
    customer = lookup.customer(args.customer)
    saved = saved_searches.create(customer, args.name, " ".join(args.query), owner="cli", shared=args.shared,
                                  actor="cli")
    return saved_searches.row(saved)


def cmd_list(ctx: Context, args: argparse.Namespace) -> list:
    return [saved_searches.row(s) for s in saved_searches.of_customer(lookup.customer(args.customer))]


def cmd_share(ctx: Context, args: argparse.Namespace) -> dict:
    return saved_searches.row(saved_searches.share(saved_searches.by_id(args.id), not args.off, actor="cli"))


def cmd_remove(ctx: Context, args: argparse.Namespace) -> dict:
    return saved_searches.remove(saved_searches.by_id(args.id), actor="cli")
