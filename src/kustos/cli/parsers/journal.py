"""Parsers of `kustos journal configure` and `kustos journal setup` (implementation: cli/journal.py); `journal address`
and `smtpd` are in parsers/sources.py, which adds this one to the `journal` command."""

from __future__ import annotations

import argparse

from kustos.core.lazy import Deferred


def add_configure(journal_sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = journal_sub.add_parser("configure", parents=[common],
                               help="allowed senders and trusted journal report senders of the journaling address")
    p.add_argument("--customer", required=True, help="customer id or name")
    p.add_argument("--allow", nargs="*", action="extend", default=None, metavar="CIDR",
                   help="client networks allowed to deliver (replaces the list; --allow alone clears it = everyone)")
    p.add_argument("--trust", nargs="*", action="extend", default=None, metavar="CIDR",
                   help="networks whose journal reports are unwrapped (replaces the list; --trust alone clears it)")
    p.add_argument("--trust-authenticated", action=argparse.BooleanOptionalAction, default=None,
                   help="unwrap journal reports delivered over authenticated SMTP")
    p.set_defaults(func=Deferred("kustos.cli.journal:cmd_journal_configure"))


def add_setup(journal_sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = journal_sub.add_parser("setup", parents=[common],
                               help="the set-up steps of journaling for a mail platform, filled in for the customer")
    p.add_argument("--customer", required=True, help="customer id or name")
    p.add_argument("--platform", required=True, choices=["exchange-online", "exchange-server", "google", "postfix"])
    p.add_argument("--lang", choices=["en", "de"], default="en", help="language of the steps (default: en)")
    p.set_defaults(func=Deferred("kustos.cli.journal:cmd_journal_setup"))
