"""Parser of `kustos source cleanup` (implementation: cli/source_cleanup.py)."""

from __future__ import annotations

import argparse

from kustos.core.lazy import Deferred


def add(src: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = src.add_parser("cleanup", parents=[common],
                       help="delete (or move to the trash) archived, sealed and indexed mail at the server")
    p.add_argument("id", help="source id")
    p.add_argument("--older-than-days", type=int, default=None, metavar="N",
                   help="mail older than N days (default: the source's cleanup rule)")
    p.add_argument("--folder", action="append", default=None, metavar="F", dest="folders",
                   help="only this folder (repeatable; default: the rule's folders, else all)")
    p.add_argument("--dry-run", action="store_true", help="confirm each message at the server, change nothing")
    p.set_defaults(func=Deferred("kustos.cli.source_cleanup:cmd_cleanup"))
