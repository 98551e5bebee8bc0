"""Parsers of `kustos ocr status|run` (implementation: cli/ocr.py)."""

from __future__ import annotations

import argparse

from kustos.core.lazy import Deferred


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("ocr", help="text recognition (OCR) of scanned attachments, queued after ingest")
    o = p.add_subparsers(dest="ocr_command", required=True)
    s = o.add_parser("status", parents=[common],
                     help="attachments recognised, failed (with the reason), skipped and pending")
    s.add_argument("--customer", required=True, help="customer id or name")
    s.set_defaults(func=Deferred("kustos.cli.ocr:cmd_status"))
    s = o.add_parser("run", parents=[common],
                     help="queue the failed attachments again and run the OCR job (also runs what is pending)")
    s.add_argument("--customer", required=True, help="customer id or name")
    s.set_defaults(func=Deferred("kustos.cli.ocr:cmd_run"))
