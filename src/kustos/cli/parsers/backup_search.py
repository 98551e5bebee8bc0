"""Parsers of `kustos backup search ...` and `kustos backup index ...` (implementation: cli/backup_search.py)."""

from __future__ import annotations

import argparse

from kustos.core.lazy import Deferred


def register(b: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """``b`` is the subparsers action of ``kustos backup``."""
    p = b.add_parser("search", parents=[common],
                     help="full-text search across a customer's backup snapshots (mail, file names, document text)")
    p.add_argument("query", help="search query (the archive's query language: words, \"phrases\", from:, AND/OR/NOT)")
    p.add_argument("--customer", required=True, help="customer id or name")
    p.add_argument("--source", default=None, help="only the backup of this source")
    p.add_argument("--snapshot", default=None, help="only item versions contained in this snapshot")
    p.add_argument("--limit", type=int, default=20, help="hits to show (default 20)")
    p.add_argument("--offset", type=int, default=0, help="hits to skip")
    p.set_defaults(func=Deferred("kustos.cli.backup_search:cmd_search"))

    p = b.add_parser("index", parents=[common], help="index a source's backup snapshots for search now")
    p.add_argument("--source", required=True, help="source id")
    p.add_argument("--rebuild", action="store_true", help="drop what is indexed and index every snapshot again")
    p.set_defaults(func=Deferred("kustos.cli.backup_search:cmd_index"))
