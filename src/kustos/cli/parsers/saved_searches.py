"""Parsers of `kustos saved-search add|list|share|remove|run` (implementation: cli/saved_searches.py)."""

from __future__ import annotations

import argparse

from kustos.core.lazy import Deferred


def _run(name: str) -> Deferred:
    return Deferred(f"kustos.cli.saved_searches:{name}")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("saved-search", help="saved archive searches, shared read-only with auditors")
    s = p.add_subparsers(dest="saved_search_command", required=True)
    a = s.add_parser("add", parents=[common], help="save a search under a name")
    a.add_argument("--customer", required=True, help="customer id or name")
    a.add_argument("--shared", action="store_true", help="share it read-only with the customer's auditors")
    a.add_argument("name")
    a.add_argument("query", nargs="*", default=[])
    a.set_defaults(func=_run("cmd_add"))
    a = s.add_parser("list", parents=[common], help="the saved searches of a customer")
    a.add_argument("--customer", required=True, help="customer id or name")
    a.set_defaults(func=_run("cmd_list"))
    a = s.add_parser("share", parents=[common], help="share a saved search with the auditors (--off: stop)")
    a.add_argument("id")
    a.add_argument("--off", action="store_true", help="stop sharing")
    a.set_defaults(func=_run("cmd_share"))
    a = s.add_parser("remove", parents=[common], help="delete a saved search")
    a.add_argument("id")
    a.set_defaults(func=_run("cmd_remove"))
