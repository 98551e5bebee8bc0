"""Parsers of `kustos ingest-rule add|list|remove` (implementation: cli/ingest_rules.py)."""

from __future__ import annotations

import argparse

from kustos.core.lazy import Deferred


def _run(name: str) -> Deferred:
    return Deferred(f"kustos.cli.ingest_rules:{name}")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("ingest-rule", help="ingest rules: exclude mail from the archive or keep it briefly")
    isub = p.add_subparsers(dest="ingest_rule_command", required=True, metavar="COMMAND")
    s = isub.add_parser("add", parents=[common], help="add a rule (checked before a message is archived)")
    s.add_argument("--customer", required=True, help="customer id or name")
    s.add_argument("--name", required=True, help="name of the rule, e.g. 'Spam'")
    s.add_argument("--field", required=True, choices=("sender", "recipient", "header", "size", "folder", "query"),
                   help="what the pattern is matched against")
    s.add_argument("--header", dest="header_name", default="", metavar="NAME",
                   help="header name for --field header (e.g. X-Spam-Flag)")
    s.add_argument("--pattern", required=True, metavar="P",
                   help="address, @domain or glob; header substring or glob (* = present); bytes; folder glob; "
                        "archive search query")
    s.add_argument("--action", default="exclude", choices=("exclude", "short-retain"),
                   help="exclude (not archived, counted) or short-retain (archived with --class)")
    s.add_argument("--class", dest="class_name", default="", metavar="NAME",
                   help="retention class for short-retain")
    s.set_defaults(func=_run("cmd_add"))
    s = isub.add_parser("list", parents=[common], help="list the rules with their match counters")
    s.add_argument("--customer", required=True, help="customer id or name")
    s.set_defaults(func=_run("cmd_list"))
    s = isub.add_parser("remove", parents=[common], help="remove a rule")
    s.add_argument("--customer", required=True, help="customer id or name")
    s.add_argument("rule_id", help="rule id (see `kustos ingest-rule list`)")
    s.set_defaults(func=_run("cmd_remove"))
