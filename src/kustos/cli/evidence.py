"""`kustos evidence export --customer C -o FILE QUERY` — the court bundle (requirement 21).

Runs with the installation's full authority, like `kustos export z3`; `--json` gives
``{"messages", "batches", "audit_events", "ok", "sha256", "file"}``; exit 1 when the checks run
at export time found a problem (the bundle is written all the same and its report names it).
"""

from __future__ import annotations

import argparse
from typing import Any

from kustos.archive.services import evidence_bundle
from kustos.archive.services import search as search_service
from kustos.cli import lookup
from kustos.cli.base import CLIError, Context
from kustos.search import InvalidRequest, QuerySyntaxError


def cmd_export(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    customer = lookup.customer(args.customer)
    if args.output.exists():
        raise CLIError(f"output file {str(args.output)!r} exists")
    query = " ".join(args.query)
    try:
        result = evidence_bundle.export_zip(customer, query, search_service.Scope(), args.output, actor="cli")
    except (QuerySyntaxError, InvalidRequest) as exc:
        raise CLIError(f"invalid query: {exc}") from exc
    except evidence_bundle.EvidenceError as exc:
        raise CLIError(str(exc)) from exc
    if not result["ok"]:
        ctx.exit_code = 1
    ctx.render = lambda r: ctx.out.print(
        f"{r['file']}: {r['messages']} messages, {r['batches']} ledger batches, {r['audit_events']} audit events; "
        f"checks at export {'OK' if r['ok'] else 'FAILED (see report.txt)'}", markup=False, highlight=False)
    return result
