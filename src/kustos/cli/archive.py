"""`kustos import|search|message|export` — the archive commands of CLI.md.

These run locally with the installation's full authority (shell access to the
server); the dashboard and API apply the per-user permission filter instead.
"""

from __future__ import annotations

import argparse
import sys

from kustos.archive.models import Message
from kustos.archive.services import export, imports, messages
from kustos.archive.services import search as search_service
from kustos.audit import services as audit
from kustos.cli import lookup
from kustos.cli.base import CLIError, Context
from kustos.search import InvalidRequest, QuerySyntaxError


def cmd_import(ctx: Context, args: argparse.Namespace) -> dict:
    customer = lookup.customer(args.customer)
    absent = imports.missing(args.paths)
    if absent:
        raise CLIError(f"no such file or directory: {', '.join(str(p) for p in absent)} (nothing was imported)")
    total = imports.estimate(args.paths)
    with ctx.progress("importing", total) as advance:
        job, result = imports.run_as_job(customer, args.mailbox, args.paths, actor="cli",
                                         workers=ctx.settings.workers, progress=advance)
    if not ctx.json:
        ctx.out.print(f"imported {result.imported}, duplicates {result.duplicates}, "
                      f"quarantined {result.quarantined}, skipped {result.skipped} (job {job.id})")
        for err in result.errors:
            ctx.out.print(f"  {err['path']}: {err['reason']}", markup=False, highlight=False)
        if result.quarantined:
            ctx.out.print(f"  see: kustos quarantine list --customer {customer.id}", markup=False, highlight=False)
        return None  # type: ignore[return-value]
    return result.as_dict()  # the CLI.md contract; the job is in `kustos jobs list`


def _run_search(customer, query: str, **kwargs):
    try:
        return search_service.run(customer, query, search_service.Scope(), **kwargs)
    except (QuerySyntaxError, InvalidRequest) as exc:
        raise CLIError(f"invalid query: {exc}") from exc


def cmd_search(ctx: Context, args: argparse.Namespace) -> dict:
    customer = lookup.customer(args.customer)
    query = " ".join(args.query)
    result = _run_search(customer, query, mailbox=args.mailbox, limit=args.limit, offset=args.offset,
                         sort=args.sort, facets=getattr(args, "facets", False))
    audit.record("archive.search", actor="cli", customer=customer, detail={"query": query[:500], "total": result.total})
    hits = search_service.hit_rows(result, search_service.Scope())
    ctx.render = _render_hits
    return {**search_service.summary(result), "hits": hits}


def _render_hits(result: dict) -> None:
    print(f"{result['total']} messages ({result['took_ms']:.0f} ms)")
    for name, counts in (result.get("facets") or {}).items():
        print(f"  {name}: " + ", ".join(f"{k} {v}" for k, v in list(counts.items())[:10]))
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
    if args.original:
        data = messages.original(msg)
        if data is None:
            raise CLIError(f"message {msg.id} has no original file: it was archived as RFC 822 mail, "
                           f"not converted (use `kustos message raw {msg.id}` without --original)")
        messages.log_view("cli", msg, "download_original")
    else:
        data = messages.raw(msg)
        messages.log_view("cli", msg, "raw")
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def cmd_export(ctx: Context, args: argparse.Namespace) -> dict:
    customer = lookup.customer(args.customer)
    query = " ".join(args.query)
    try:
        with ctx.progress("exporting") as advance:
            return export.export_query(customer, query, search_service.Scope(), args.format, args.output,
                                       actor="cli", progress=advance)
    except (QuerySyntaxError, InvalidRequest) as exc:
        raise CLIError(f"invalid query: {exc}") from exc
