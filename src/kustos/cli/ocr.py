"""`kustos ocr status|run` (parsers: cli/parsers/ocr.py)."""

from __future__ import annotations

import argparse

from kustos.archive.services import ocr
from kustos.cli import lookup
from kustos.cli.base import Context


def cmd_status(ctx: Context, args: argparse.Namespace) -> dict:
    ctx.render = lambda report: _render(ctx, report)
    return ocr.status(lookup.customer(args.customer))


def _render(ctx: Context, report: dict) -> None:
    counts = report["counts"]
    state = "on" if report["enabled"] else "off (KUSTOS_OCR)"
    ctx.out.print(f"OCR {state}: {counts['done']} recognised, {counts['failed']} failed, {counts['skipped']} skipped, "
                  f"{counts['pending']} pending" + (f" (job {report['job']})" if report["job"] else ""),
                  markup=False, highlight=False)
    for row in report["failed"]:
        ctx.out.print(f"  {row['message']}  {row['attachment']}: {row['reason']}", markup=False, highlight=False)


def cmd_run(ctx: Context, args: argparse.Namespace) -> dict:
    return ocr.requeue_failed(lookup.customer(args.customer), actor="cli")  # OCR off: one-line error, exit 1
