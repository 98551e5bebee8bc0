"""Parsers of `kustos billing csv|show` (implementation: cli/billing.py)."""

from __future__ import annotations

import argparse

from kustos.core.lazy import Deferred


def _run(name: str) -> Deferred:
    return Deferred(f"kustos.cli.billing:{name}")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    b = sub.add_parser("billing", help="the monthly billing statement").add_subparsers(dest="sub", required=True)
    s = b.add_parser("csv", parents=[common], help="write a month's billing CSV (one row per customer and service)")
    s.add_argument("--month", required=True, help="calendar month YYYY-MM (Europe/Berlin)")
    s.add_argument("--partner", help="only this partner (id or name); default: all partners")
    s.add_argument("-o", "--output", required=True, help="file to write, - for stdout")
    s.set_defaults(func=_run("cmd_csv"))
    s = b.add_parser("show", parents=[common], help="a month's billing rows and totals")
    s.add_argument("--month", required=True, help="calendar month YYYY-MM (Europe/Berlin)")
    s.add_argument("--partner", help="only this partner (id or name); default: all partners")
    s.set_defaults(func=_run("cmd_show"))
