"""Parsers of `kustos archive flag-folder|folders` (implementation: cli/tax_flags.py)."""

from __future__ import annotations

import argparse

from kustos.core.lazy import Deferred


def _archive_commands(sub: argparse._SubParsersAction) -> argparse._SubParsersAction:
    """The subcommands of `kustos archive` (created here unless another module did)."""
    parser = sub.choices.get("archive")
    if parser is None:
        parser = sub.add_parser("archive", help="archive folders and their tax-relevant flags")
        return parser.add_subparsers(dest="archive_command", required=True)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return parser.add_subparsers(dest="archive_command", required=True)


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    a = _archive_commands(sub)
    s = a.add_parser("flag-folder", parents=[common],
                     help="mark a folder tax-relevant: every message archived in it counts as tax-relevant "
                          "(--off: unmark)")
    s.add_argument("--customer", required=True, help="customer id or name")
    s.add_argument("--mailbox", required=True, help="mailbox address")
    s.add_argument("--folder", required=True, help="folder path as archived, e.g. INBOX/Rechnungen")
    s.add_argument("--off", action="store_true", help="remove the tax-relevant mark")
    s.set_defaults(func=Deferred("kustos.cli.tax_flags:cmd_flag_folder"))
    s = a.add_parser("folders", parents=[common], help="folders of a customer with their tax-relevant flag")
    s.add_argument("--customer", required=True, help="customer id or name")
    s.set_defaults(func=Deferred("kustos.cli.tax_flags:cmd_folders"))
