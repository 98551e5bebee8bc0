"""Parsers of `kustos import|search|message|export` (implementation: cli/archive.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from kustos.core.lazy import Deferred

EXPORT_FORMATS = ["eml-zip", "mbox"]


def _run(name: str) -> Deferred:
    return Deferred(f"kustos.cli.archive:{name}")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("import", parents=[common], help="import EML/EMLX, MBOX, Maildir, PST/OST, MSG files or dirs")
    p.add_argument("--customer", required=True, help="customer id or name")
    p.add_argument("--mailbox", required=True, help="mailbox address the messages belong to")
    p.add_argument("paths", nargs="+", type=Path)
    p.set_defaults(func=_run("cmd_import"))

    p = sub.add_parser("search", parents=[common], help="full-text search")
    p.add_argument("--customer", required=True, help="customer id or name")
    p.add_argument("--mailbox", default=None)
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--offset", type=int, default=0)
    p.add_argument("--sort", choices=["best", "relevance", "date"], default="best",
                   help="best: relevance weighted by recency (default); relevance; date: newest first")
    p.add_argument("--facets", action="store_true", help="also count per mailbox, folder, year, domain, attachment")
    p.add_argument("query", nargs="*", default=[])
    p.set_defaults(func=_run("cmd_search"))

    m = sub.add_parser("message", help="archived messages").add_subparsers(dest="sub", required=True)
    s = m.add_parser("show", parents=[common], help="metadata of one message")
    s.add_argument("id")
    s.set_defaults(func=_run("cmd_show"))
    s = m.add_parser("raw", parents=[common], help="original bytes to stdout, byte-exact")
    s.add_argument("id")
    s.add_argument("--original", action="store_true",
                   help="the file the message was converted from (e.g. the Outlook .msg), byte-exact")
    s.set_defaults(func=_run("cmd_raw"))
    s = m.add_parser("flag-tax", parents=[common], help="mark a message tax-relevant (--off: unmark)")
    s.add_argument("id")
    s.add_argument("--off", action="store_true", help="remove the tax-relevant mark")
    s.set_defaults(func=Deferred("kustos.cli.auditor:cmd_flag_tax"))

    p = sub.add_parser("export", parents=[common], help="export matching messages as EML-zip or MBOX")
    p.add_argument("--customer", required=True, help="customer id or name")
    p.add_argument("--format", choices=EXPORT_FORMATS, default="eml-zip")
    p.add_argument("-o", "--output", required=True, type=Path)
    p.add_argument("query", nargs="*", default=[])
    p.set_defaults(func=_run("cmd_export"))
