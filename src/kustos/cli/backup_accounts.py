"""`kustos backup accounts|timeline|activate` (``--json`` on each)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from kustos.backup.services import activation, plans, timeline
from kustos.cli.backup import _source
from kustos.cli.base import CLIError, Context


def _iso(rows: list[dict[str, Any]], *keys: str) -> list[dict[str, Any]]:
    return [{k: (v.isoformat() if k in keys and v is not None else v) for k, v in r.items()} for r in rows]


def cmd_accounts(ctx: Context, args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = _iso(timeline.accounts(plans.for_source(_source(args.source))), "activated_at", "departed_at")
    ctx.render = _render_accounts
    return rows


def _render_accounts(rows: list[dict[str, Any]]) -> None:
    if not rows:
        print("no backup accounts")
    for r in rows:
        print(f"{r['account']:40}  {r['status']:8}  {r['items']:>8} items  {r['bytes']:>14} bytes  {r['name']}")


def cmd_timeline(ctx: Context, args: argparse.Namespace) -> list[dict[str, Any]]:
    plan = plans.for_source(_source(args.source))
    rows = _iso(timeline.snapshots(timeline.account(plan, args.account)), "time")
    ctx.render = _render_timeline
    return rows


def _render_timeline(rows: list[dict[str, Any]]) -> None:
    if not rows:
        print("no snapshots")
    for r in rows:
        print(f"{r['time'][:19]}  {r['snapshot']}  {r['status']:8}  {r['items']:>8} items  {r['bytes']:>14} bytes  "
              f"+{r['added']} ~{r['changed']} -{r['removed']}  failed {r['failed']}")


def cmd_activate(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    plan = plans.for_source(_source(args.source))
    try:
        data = sys.stdin.buffer.read() if str(args.csv) == "-" else args.csv.read_bytes()
    except OSError as exc:
        raise CLIError(f"cannot read {args.csv}: {exc.strerror or exc}") from None
    report = activation.activate(plan, data, partial=args.partial, explicit=args.explicit, actor="cli")
    if report["errors"] and not report["applied"]:
        ctx.exit_code = 1
        print(f"kustos: error: {report['errors']} of {len(report['lines'])} lines have errors; nothing was changed "
              f"(--partial applies the valid lines)", file=sys.stderr)
    ctx.render = _render_activation
    return report


def _render_activation(report: dict[str, Any]) -> None:
    for line in report["lines"]:
        detail = f"  {line['detail']}" if line["detail"] else ""
        print(f"line {line['line']:>5}  {line['status']:16}  {line['account']}{detail}")
    counts = ", ".join(f"{n} {status}" for status, n in report["counts"].items() if n)
    print(f"{'changed' if report['changed'] else 'nothing changed'}: {counts}")
