"""`kustos backup search --customer C [--source S] [--snapshot S] QUERY` and `kustos backup index --source S`."""

from __future__ import annotations

import argparse
from typing import Any

from kustos.archive.models import Source
from kustos.backup.services import plans, search_index
from kustos.backup.services import search as backup_search
from kustos.cli import lookup
from kustos.cli.base import CLIError, Context
from kustos.search import InvalidRequest, QuerySyntaxError


def cmd_search(ctx: Context, args: argparse.Namespace) -> list[dict[str, Any]]:
    customer = lookup.customer(args.customer)
    # Runs started here do not queue indexing (it would hold them up): catch up on what is not indexed yet.
    search_index.catch_up_plans(backup_search.plans_of(customer, args.source))
    try:
        page = backup_search.run(customer, args.query, source=args.source, snapshot=args.snapshot,
                                 limit=args.limit, offset=args.offset)
    except (QuerySyntaxError, InvalidRequest) as exc:
        raise CLIError(f"invalid search: {exc}") from None
    ctx.render = _render
    return [{k: hit[k] for k in backup_search.FIELDS} for hit in page.hits]


def _render(rows: list[dict[str, Any]]) -> None:
    if not rows:
        print("no hits")
    for r in rows:
        print(f"{r['time'][:16]}  {r['snapshot']}  {r['account']}/{r['path']}  ({r['size']} bytes)")


def cmd_index(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    source = Source.objects.select_related("customer").filter(id=args.source).first()
    if source is None:
        raise CLIError(f"no source with id {args.source!r}")
    plan = plans.for_source(source)
    return search_index.rebuild(plan) if args.rebuild else search_index.catch_up(plan)
