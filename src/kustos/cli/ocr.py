"""`kustos ocr status|run` (parsers: cli/parsers/ocr.py)."""

from __future__ import annotations

import argparse

from kustos.archive.services import ocr
from kustos.cli import lookup
from kustos.cli.base import Context


def cmd_status(ctx: Context, args: argparse.Namespace) -> dict:
    return ocr.status(lookup.customer(args.customer))


def cmd_run(ctx: Context, args: argparse.Namespace) -> dict:
    return ocr.requeue_failed(lookup.customer(args.customer), actor="cli")  # OCR off: one-line error, exit 1
