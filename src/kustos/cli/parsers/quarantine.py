"""Parsers of `kustos quarantine list|show|retry` (implementation: cli/quarantine.py)."""

from __future__ import annotations

import argparse

from kustos.core.lazy import Deferred


def _run(name: str) -> Deferred:
    return Deferred(f"kustos.cli.quarantine:{name}")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    q = sub.add_parser("quarantine", help="input that could not be archived (kept with its reason)")
    qsub = q.add_subparsers(dest="sub", required=True)
    s = qsub.add_parser("list", parents=[common], help="quarantined items (open ones unless --resolved)")
    s.add_argument("--customer", default=None, help="customer id or name")
    s.add_argument("--resolved", action="store_true", help="also list items a retry has archived")
    s.set_defaults(func=_run("cmd_list"))
    s = qsub.add_parser("show", parents=[common], help="reason, source and size of one item")
    s.add_argument("id")
    s.add_argument("--raw", action="store_true", help="write the kept bytes to stdout, byte-exact")
    s.set_defaults(func=_run("cmd_show"))
    s = qsub.add_parser("retry", parents=[common], help="ingest the kept bytes again (e.g. after a parser fix)")
    s.add_argument("id", nargs="?", default=None)
    s.add_argument("--all", action="store_true", help="retry every open item (of --customer)")
    s.add_argument("--customer", default=None, help="customer id or name")
    s.add_argument("--mailbox", default=None, help="mailbox for items that have none recorded")
    s.set_defaults(func=_run("cmd_retry"))
