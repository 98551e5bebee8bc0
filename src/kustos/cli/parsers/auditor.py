"""Parsers of `kustos auditor grant|list|revoke` (implementation: cli/auditor.py)."""

from __future__ import annotations

import argparse

from kustos.core.lazy import Deferred


def _run(name: str) -> Deferred:
    return Deferred(f"kustos.cli.auditor:{name}")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    a = sub.add_parser("auditor", help="auditor access (grants)").add_subparsers(dest="sub", required=True)
    s = a.add_parser("grant", parents=[common], help="give an auditor read access to one customer")
    s.add_argument("--customer", required=True, help="customer id")
    s.add_argument("--email", required=True, help="the auditor's e-mail (created when missing)")
    s.add_argument("--from", dest="date_from", help="first day of mail the auditor may see (YYYY-MM-DD)")
    s.add_argument("--to", dest="date_to", help="last day of mail the auditor may see (YYYY-MM-DD)")
    s.add_argument("--expires-days", type=int, default=30, help="days until the access ends (default 30)")
    s.add_argument("--mailbox", action="append", default=[], help="limit to this mailbox (repeatable)")
    s.add_argument("--all-mail", action="store_true", help="all mail, not only mail flagged tax-relevant")
    s.set_defaults(func=_run("cmd_grant"))
    s = a.add_parser("list", parents=[common], help="grants, revoked and expired ones included")
    s.add_argument("--customer", help="only grants on this customer")
    s.set_defaults(func=_run("cmd_list"))
    s = a.add_parser("revoke", parents=[common], help="end a grant now")
    s.add_argument("grant_id", type=int, metavar="GRANT_ID")
    s.set_defaults(func=_run("cmd_revoke"))
