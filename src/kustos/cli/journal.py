"""`kustos journal configure`: who may deliver to a customer's journaling address and whose
journal reports are unwrapped (parser: cli/parsers/journal.py)."""

from __future__ import annotations

import argparse

from kustos.archive.services import journal
from kustos.cli import lookup
from kustos.cli.base import Context


def cmd_journal_configure(ctx: Context, args: argparse.Namespace) -> dict:
    customer = lookup.customer(args.customer)
    journal.configure(customer, allowed_hosts=args.allow, trusted_hosts=args.trust,
                      trust_authenticated=args.trust_authenticated, actor="cli")
    return journal.public(customer)

