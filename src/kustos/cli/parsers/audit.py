"""Parsers of `kustos audit log|verify` (implementation: cli/audit.py)."""

from __future__ import annotations

import argparse

from kustos.core.lazy import Deferred


def _run(name: str) -> Deferred:
    return Deferred(f"kustos.cli.audit:{name}")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    a = sub.add_parser("audit", help="the hash-chained audit log").add_subparsers(dest="sub", required=True)
    s = a.add_parser("log", parents=[common], help="audit events, newest first")
    s.add_argument("--customer", help="only events of this customer (id or name)")
    s.add_argument("--since", help="events at or after this ISO date/time (UTC when no offset)")
    s.add_argument("--until", help="events at or before this ISO date/time (UTC when no offset)")
    s.add_argument("--action", help="action prefix, e.g. auth. or archive.export")
    s.add_argument("--user", help="only events by this actor (e-mail, system, cli)")
    s.add_argument("--offset", type=int, default=0, help="skip this many events")
    s.add_argument("--limit", type=int, default=100, help="at most this many events (1-1000, default 100)")
    s.set_defaults(func=_run("cmd_log"))
    s = a.add_parser("verify", parents=[common], help="check the whole chain; exit 1 naming the first broken entry")
    s.set_defaults(func=_run("cmd_verify"))
