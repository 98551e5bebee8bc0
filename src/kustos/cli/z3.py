"""`kustos export z3 --customer C -o DIR QUERY` — the Z3 tax-audit handover of CLI.md.

Runs locally with the installation's full authority, like `kustos export`; `--json` gives
``{"messages", "files", "dir"}``. Any other `kustos export` goes to the archive export.
"""

from __future__ import annotations

import argparse

from kustos.archive.services import search as search_service
from kustos.archive.services import z3
from kustos.cli import archive, lookup
from kustos.cli.base import CLIError, Context
from kustos.search import InvalidRequest, QuerySyntaxError


def cmd_export(ctx: Context, args: argparse.Namespace) -> dict:
    if not args.query or args.query[0] != "z3":
        return archive.cmd_export(ctx, args)
    customer = lookup.customer(args.customer)
    query = " ".join(args.query[1:])
    try:
        return z3.export_dir(customer, query, search_service.Scope(), args.output, actor="cli")
    except (QuerySyntaxError, InvalidRequest) as exc:
        raise CLIError(f"invalid query: {exc}") from exc
    except (ValueError, z3.IntegrityError) as exc:
        raise CLIError(str(exc)) from exc
