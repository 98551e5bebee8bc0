"""Parsers of `kustos alerts list|check` (implementation: cli/alerts.py)."""

from __future__ import annotations

import argparse

from kustos.core.lazy import Deferred


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("alerts", help="archive alerts: failing or silent sources, silent journaling addresses, "
                                      "late ingest")
    s = p.add_subparsers(dest="alerts_command", required=True)
    a = s.add_parser("list", parents=[common], help="open archive alerts (all customers, or one)")
    a.add_argument("--customer", default=None, help="customer id or name")
    a.set_defaults(func=Deferred("kustos.cli.alerts:cmd_list"))
    a = s.add_parser("check", parents=[common],
                     help="look for silent sources and journaling addresses now (the scheduler does this hourly)")
    a.set_defaults(func=Deferred("kustos.cli.alerts:cmd_check"))
