"""Parser of `kustos backup seed` (implementation: cli/backup_seed.py)."""

from __future__ import annotations

import argparse

from kustos.core.lazy import Deferred


def register(b: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """``b`` is the subparsers action of ``kustos backup``."""
    p = b.add_parser("seed", parents=[common],
                     help="copy a filtered, relationship-closed subset of a snapshot's records into another source "
                          "(e.g. a sandbox org) and wait for the report")
    p.add_argument("snapshot")
    p.add_argument("--to-source", required=True, help="the source to seed (same customer and kind)")
    p.add_argument("--object", required=True, help="the object whose records are chosen (e.g. Account)")
    p.add_argument("--where", default=None, metavar="EXPR",
                   help="filter, e.g. \"Industry IN ('Retail','Energy') AND Name LIKE 'A%%'\" (default: all)")
    p.add_argument("--with-children", action="store_true",
                   help="also copy the records that look up a chosen one (one level, e.g. an account's contacts)")
    p.add_argument("--mask-personal", action="store_true",
                   help="replace names, e-mail, phone, address and birthdate fields with format-keeping fakes")
    p.add_argument("--mask-field", action="append", default=None, metavar="OBJECT.FIELD",
                   help="also mask this field (with --mask-personal; repeatable)")
    p.set_defaults(func=Deferred("kustos.cli.backup_seed:cmd_seed"))
