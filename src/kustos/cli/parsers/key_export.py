"""Parser of `kustos customer key export ID -o FILE` (implementation: cli/key_export.py).

`customer` is defined by the tenancy parser; this module adds the `key` group to it, so it is
registered after it."""

from __future__ import annotations

import argparse
from pathlib import Path

from kustos.core.lazy import Deferred


def _subcommands(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    customer = _subcommands(sub.choices["customer"])
    key = customer.add_parser("key", help="the customer's data key").add_subparsers(dest="key_sub", required=True)
    s = key.add_parser("export", parents=[common],
                       help="write the customer's key protected by a passphrase read from standard input "
                            "(for the standalone reader kustos-read)")
    s.add_argument("id", help="customer id or name")
    s.add_argument("-o", "--output", required=True, type=Path, help="the key file to write (mode 0600)")
    s.set_defaults(func=Deferred("kustos.cli.key_export:cmd_export"))
