"""`kustos quarantine list|show|retry` — input that could not be archived, kept with its reason."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from kustos.archive.models import Quarantine
from kustos.archive.services import quarantine
from kustos.cli import lookup
from kustos.cli.base import CLIError, Context
from kustos.tenants.models import Customer


def _item(ref: str) -> Quarantine:
    item = Quarantine.objects.select_related("customer").filter(id=ref).first()
    if item is None:
        raise CLIError(f"no quarantine item with id {ref!r} (see `kustos quarantine list`)")
    return item


def _customers(ref: str | None) -> Any:
    return [lookup.customer(ref)] if ref else Customer.objects.all()


def cmd_list(ctx: Context, args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = [quarantine.public(item) for item in quarantine.items(_customers(args.customer), resolved=args.resolved)]
    ctx.render = _render_list
    return rows


def _render_list(rows: list[dict[str, Any]]) -> None:
    if not rows:
        print("no quarantined items")
    for r in rows:
        state = f"resolved → {r['resolved_message']}" if r["resolved_at"] else "open"
        print(f"{r['id']}  {r['created_at'][:16]}  {r['size']:>9}  {state:8}  {r['source_ref']}\n"
              f"    {r['reason']}")


def cmd_show(ctx: Context, args: argparse.Namespace) -> dict[str, Any] | None:
    item = _item(args.id)
    if args.raw:
        data = quarantine.raw(item, actor="cli")  # no kept bytes: ValidationError, a one-line error
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return None
    return quarantine.public(item)


def cmd_retry(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    if bool(args.id) == bool(args.all):
        raise CLIError("give one quarantine item id, or --all (optionally with --customer)")
    if args.id and args.customer:
        raise CLIError("--customer only goes with --all")
    workers = ctx.settings.workers
    if args.id:
        results = [quarantine.retry(_item(args.id), actor="cli", mailbox=args.mailbox, workers=workers)]
    else:
        results = quarantine.retry_all(_customers(args.customer), actor="cli", mailbox=args.mailbox, workers=workers)
    rows = [r.as_dict() for r in results]
    resolved = sum(1 for r in results if r.resolved)
    if args.id and not results[0].resolved:
        ctx.exit_code = 1
    ctx.render = _render_retry
    return {"retried": len(rows), "resolved": resolved, "open": len(rows) - resolved, "items": rows}


def _render_retry(result: dict[str, Any]) -> None:
    for r in result["items"]:
        if r["resolved"]:
            print(f"{r['id']}: archived as {r['message']} (imported {r['imported']}, duplicates {r['duplicates']})")
        else:
            print(f"{r['id']}: still quarantined: {r.get('error') or r['reason']}")
    print(f"retried {result['retried']}, resolved {result['resolved']}, still open {result['open']}")
