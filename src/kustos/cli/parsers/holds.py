"""Parsers of `kustos hold create|release|list|show|refresh` (implementation: cli/holds.py)."""

from __future__ import annotations

import argparse

from kustos.core.lazy import Deferred


def _run(name: str) -> Deferred:
    return Deferred(f"kustos.cli.holds:{name}")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    h = sub.add_parser("hold", help="legal holds: cases whose messages must not be deleted") \
        .add_subparsers(dest="sub", required=True)
    s = h.add_parser("create", parents=[common],
                     help="open a case (or reuse it) and hold every message matching QUERY; prints id and count")
    s.add_argument("--customer", required=True, help="customer id or name")
    s.add_argument("--case", required=True, help="case name (created when new)")
    s.add_argument("--mailbox", action="append", default=[], metavar="ADDRESS",
                   help="only messages in this mailbox (repeatable; default: every mailbox)")
    s.add_argument("query", nargs="?", default="", help="archive search query; empty or * holds everything")
    s.set_defaults(func=_run("cmd_create"))
    s = h.add_parser("release", parents=[common], help="release a hold (kept for the record)")
    s.add_argument("hold_id", metavar="ID", help="hold id (lh-...)")
    s.set_defaults(func=_run("cmd_release"))
    s = h.add_parser("list", parents=[common], help="cases of a customer with their holds and counts")
    s.add_argument("--customer", required=True, help="customer id or name")
    s.set_defaults(func=_run("cmd_list"))
    s = h.add_parser("show", parents=[common], help="one case: its holds and the messages they hold")
    s.add_argument("--customer", required=True, help="customer id or name")
    s.add_argument("case_id", metavar="CASE", help="case id (lc-...)")
    s.set_defaults(func=_run("cmd_show"))
    s = h.add_parser("refresh", parents=[common], help="add messages archived since that match an active hold")
    s.add_argument("--customer", required=True, help="customer id or name")
    s.set_defaults(func=_run("cmd_refresh"))
