"""Parsers of `kustos gdpr access|erase|restrict|requests|show` (implementation: cli/gdpr.py)."""

from __future__ import annotations

import argparse

from kustos.core.lazy import Deferred


def _run(name: str) -> Deferred:
    return Deferred(f"kustos.cli.gdpr:{name}")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    g = sub.add_parser("gdpr", help="data-subject requests: access (Art. 15), erasure (Art. 17), restriction (Art. 18)") \
        .add_subparsers(dest="sub", required=True)
    helps = {"access": "find every message concerning the subject; -o writes the report (.md/.html) or export (.zip)",
             "erase": "erasure: per message restricted (retention duty, legal hold) or proposed for deletion",
             "restrict": "restriction: every message concerning the subject is hidden from normal search"}
    for kind, text in helps.items():
        s = g.add_parser(kind, parents=[common], help=text)
        s.add_argument("--customer", required=True, help="customer id or name")
        s.add_argument("--subject", required=True, metavar="ADDRESS", help="the data subject's e-mail address")
        s.add_argument("-o", "--output", metavar="FILE",
                       help="also write the report (FILE.md or FILE.html) or the export ZIP (FILE.zip)")
        s.set_defaults(func=_run("cmd_request"), kind=kind)
    s = g.add_parser("requests", parents=[common], help="data-subject requests of a customer, newest first")
    s.add_argument("--customer", required=True, help="customer id or name")
    s.set_defaults(func=_run("cmd_requests"))
    s = g.add_parser("show", parents=[common], help="one request with its decisions; -o writes report or export")
    s.add_argument("--customer", required=True, help="customer id or name")
    s.add_argument("request_id", metavar="ID", help="request id (gr-...)")
    s.add_argument("-o", "--output", metavar="FILE", help="write the report (FILE.md or FILE.html) or export (FILE.zip)")
    s.set_defaults(func=_run("cmd_show"))
