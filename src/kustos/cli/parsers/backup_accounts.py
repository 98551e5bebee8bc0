"""Parsers of `kustos backup accounts|timeline|activate` (implementation: cli/backup_accounts.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from kustos.core.lazy import Deferred

ACTIVATE_HELP = """\
CSV with a header row: column 'account' (user principal name, e-mail, site URL, team name or scope id)
and optional 'services' (a subset of the plan's services separated by ';', e.g. mail;onedrive; empty =
all). Delimiter comma, semicolon or tab (taken from the header). Each line is reported as activated,
already_active, already_covered, unknown_account, bad_services or malformed. Rule: if any line has an
error NOTHING is changed (exit 1) unless --partial is given, which applies the valid lines (exit 0).
A plan covering all accounts stays so (lines: already_covered) unless --explicit is given."""


def _run(name: str) -> Deferred:
    return Deferred(f"kustos.cli.backup_accounts:{name}")


def register(b: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = b.add_parser("accounts", parents=[common], help="list the accounts of a source's backup plan")
    p.add_argument("--source", required=True, help="source id")
    p.set_defaults(func=_run("cmd_accounts"))

    p = b.add_parser("timeline", parents=[common], help="every snapshot containing one account, newest first")
    p.add_argument("--source", required=True, help="source id")
    p.add_argument("--account", required=True, help="the account (as listed by `kustos backup accounts`)")
    p.set_defaults(func=_run("cmd_timeline"))

    p = b.add_parser("activate", parents=[common], help="bulk activation of accounts from a CSV file",
                     description=ACTIVATE_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--source", required=True, help="source id")
    p.add_argument("--csv", required=True, type=Path, metavar="FILE", help="the CSV file ('-' reads stdin)")
    p.add_argument("--partial", action="store_true", help="apply the valid lines even when other lines have errors")
    p.add_argument("--explicit", action="store_true",
                   help="turn a plan covering all accounts into the list of the file's accounts")
    p.set_defaults(func=_run("cmd_activate"))
