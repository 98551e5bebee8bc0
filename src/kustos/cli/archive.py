"""`kustos import|search|message|export` — the archive commands of CLI.md.

These run locally with the installation's full authority (shell access to the
server); the dashboard and API apply the per-user permission filter instead.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kustos.archive.models import Message
from kustos.archive.services import export, imports, messages
from kustos.archive.services import search as search_service
from kustos.audit import services as audit
from kustos.cli import lookup
from kustos.cli.base import CLIError, Context
from kustos.core.lazy import Deferred
from kustos.search import InvalidRequest, QuerySyntaxError


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("import", parents=[common], help="import EML/EMLX, MBOX, Maildir, PST/OST, MSG files or dirs")
    p.add_argument("--customer", required=True)
    p.add_argument("--mailbox", required=True, help="mailbox address the messages belong to")
    p.add_argument("paths", nargs="+", type=Path)
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("search", parents=[common], help="full-text search")
    p.add_argument("--customer", required=True)
    p.add_argument("--mailbox", default=None)
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--offset", type=int, default=0)
    p.add_argument("--sort", choices=["date", "relevance"], default="date")
    p.add_argument("query", nargs="*", default=[])
    p.set_defaults(func=cmd_search)

    m = sub.add_parser("message", help="archived messages").add_subparsers(dest="sub", required=True)
    s = m.add_parser("show", parents=[common], help="metadata of one message")
    s.add_argument("id")
    s.set_defaults(func=cmd_show)
    s = m.add_parser("raw", parents=[common], help="original bytes to stdout, byte-exact")
    s.add_argument("id")
    s.set_defaults(func=cmd_raw)
    s = m.add_parser("flag-tax", parents=[common], help="mark a message tax-relevant (--off: unmark)")
    s.add_argument("id")
    s.add_argument("--off", action="store_true", help="remove the tax-relevant mark")
    s.set_defaults(func=Deferred("kustos.cli.auditor:cmd_flag_tax"))

    p = sub.add_parser("export", parents=[common], help="export matching messages as EML-zip or MBOX")
    p.add_argument("--customer", required=True)
    p.add_argument("--format", choices=list(export.FORMATS), default="eml-zip")
    p.add_argument("-o", "--output", required=True, type=Path)
    p.add_argument("query", nargs="*", default=[])
    p.set_defaults(func=cmd_export)


def cmd_import(ctx: Context, args: argparse.Namespace) -> dict:
    customer = lookup.customer(args.customer)
    total = imports.estimate(args.paths)
    with ctx.progress("importing", total) as advance:
        result = imports.import_paths(customer, args.mailbox, args.paths, actor="cli", workers=ctx.settings.workers,
                                      progress=advance)
    if not ctx.json:
        ctx.out.print(f"imported {result.imported}, duplicates {result.duplicates}, "
                      f"quarantined {result.quarantined}, skipped {result.skipped}")
        for err in result.errors:
            ctx.out.print(f"  {err['path']}: {err['reason']}", markup=False, highlight=False)
        return None  # type: ignore[return-value]
    return result.as_dict()


def _run_search(customer, query: str, **kwargs):
    try:
        return search_service.run(customer, query, search_service.Scope(), **kwargs)
    except (QuerySyntaxError, InvalidRequest) as exc:
        raise CLIError(f"invalid query: {exc}") from exc


def cmd_search(ctx: Context, args: argparse.Namespace) -> dict:
    customer = lookup.customer(args.customer)
    query = " ".join(args.query)
    result = _run_search(customer, query, mailbox=args.mailbox, limit=args.limit, offset=args.offset,
                         sort=args.sort)
    audit.record("archive.search", actor="cli", customer=customer, detail={"query": query[:500], "total": result.total})
    hits = search_service.hit_rows(result, search_service.Scope())
    ctx.render = _render_hits
    return {"total": result.total, "hits": hits}


def _render_hits(result: dict) -> None:
    print(f"{result['total']} messages")
    for h in result["hits"]:
        print(f"{h['id']}  {(h['date'] or '')[:10]}  {h['from'][:30]:30}  {h['subject'][:70]}")


def _message(ref: str) -> Message:
    msg = Message.objects.select_related("customer").filter(id=ref).first()
    if msg is None:
        raise CLIError(f"no message with id {ref!r}")
    return msg


def cmd_show(ctx: Context, args: argparse.Namespace) -> dict:
    msg = _message(args.id)
    messages.log_view("cli", msg, "view")
    return messages.metadata(msg)


def cmd_raw(ctx: Context, args: argparse.Namespace) -> None:
    msg = _message(args.id)
    messages.log_view("cli", msg, "raw")
    sys.stdout.buffer.write(messages.raw(msg))
    sys.stdout.buffer.flush()


def cmd_export(ctx: Context, args: argparse.Namespace) -> dict:
    customer = lookup.customer(args.customer)
    query = " ".join(args.query)
    try:
        with ctx.progress("exporting") as advance:
            return export.export_query(customer, query, search_service.Scope(), args.format, args.output,
                                       actor="cli", progress=advance)
    except QuerySyntaxError as exc:
        raise CLIError(f"invalid query: {exc}") from exc
