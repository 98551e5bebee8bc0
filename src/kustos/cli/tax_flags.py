"""`kustos archive flag-folder|folders` (parsers: cli/parsers/tax_flags.py)."""

from __future__ import annotations

import argparse

from kustos.archive.services import tax_flags
from kustos.cli import lookup
from kustos.cli.base import CLIError, Context


def cmd_flag_folder(ctx: Context, args: argparse.Namespace) -> dict:
    customer = lookup.customer(args.customer)
    if not args.folder.strip():
        raise CLIError("--folder must not be empty")
    folder = tax_flags.get_folder(customer, args.mailbox, args.folder)
    return tax_flags.flag_folder(folder, not args.off, actor="cli")


def cmd_folders(ctx: Context, args: argparse.Namespace) -> list:
    return tax_flags.folders(lookup.customer(args.customer))
