"""Parser of `kustos customer export ID -o DIR` (implementation: cli/exit_export.py).

`customer` is defined by the tenancy parser; this module adds `export` to it, so it is
registered after it."""

from __future__ import annotations

import argparse
from pathlib import Path

from kustos.core.lazy import Deferred


def _subcommands(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    customer = _subcommands(sub.choices["customer"])
    s = customer.add_parser("export", parents=[common],
                            help="customer exit: write the whole archive (.eml in the folder tree, index.csv, "
                                 "evidence, audit log, README, MANIFEST.sha256); run again to resume")
    s.add_argument("id", help="customer id or name")
    s.add_argument("-o", "--output", required=True, type=Path,
                   help="the directory to write (new, empty, or an unfinished export of this customer)")
    s.set_defaults(func=Deferred("kustos.cli.exit_export:cmd_export"))
