"""`kustos reconcile --customer C [--live]` — the completeness report; exit 1 when a gap is found."""

from __future__ import annotations

import argparse
from typing import Any

from kustos.archive.services import reconcile
from kustos.cli import lookup
from kustos.cli.base import Context


def cmd_reconcile(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    result = reconcile.report(lookup.customer(args.customer), live=args.live, actor="cli")
    if result["verdict"] == "gap":
        ctx.exit_code = 1
    ctx.render = _render
    return result


def _range(gap: dict[str, int]) -> str:
    return str(gap["first"]) if gap["first"] == gap["last"] else f"{gap['first']}-{gap['last']}"


def _render(r: dict[str, Any]) -> None:
    seq = r["sequence"]
    print(f"customer {r['customer_name']} ({r['customer']})")
    print(f"{seq['verdict']:8} ingest sequence 1..{seq['highest']}: {seq['present']} messages, "
          f"{seq['missing']} missing" + (f" ({', '.join(_range(g) for g in seq['gaps'])})" if seq["gaps"] else ""))
    for s in r["sources"]:
        print(f"{s['verdict']:8} source {s['name']} ({s['kind']}, {s['id']}): {s['archived']} archived"
              + (f"; live check failed: {s['live_error']}" if s["live_error"] else ""))
        for sc in s["scopes"]:
            live = "" if sc["at_source"] is None else f", at source {sc['at_source']}, not archived {sc['not_archived']}"
            delivered = "-" if sc["delivered"] is None else sc["delivered"]
            print(f"{sc['verdict']:8}   {sc['scope']}: delivered {delivered}, archived {sc['archived']}{live}")
    for j in r["journal"]:
        print(f"{j['verdict']:8} journaling {j['address']}: {j['accepted']} accepted, {j['archived']} archived, "
              f"{j['pending']} pending, "
              f"{j['failed']} failed, {j['quarantined']} quarantined")
    t = r["totals"]
    print(f"verdict: {r['verdict']} ({t['gaps']} with gaps, {t['pending']} pending)")
