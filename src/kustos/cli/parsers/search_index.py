"""Parser of `kustos index rebuild` (implementation: cli/search_index.py)."""

from __future__ import annotations

import argparse

from kustos.core.lazy import Deferred


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    index = sub.add_parser("index", help="the archive search index").add_subparsers(dest="index_command", required=True)
    s = index.add_parser("rebuild", parents=[common],
                         help="drop a customer's archive search index and index every message again "
                              "(needed after an upgrade that changes the search analysis)")
    s.add_argument("--customer", required=True, help="customer id or name")
    s.set_defaults(func=Deferred("kustos.cli.search_index:cmd_rebuild"))
