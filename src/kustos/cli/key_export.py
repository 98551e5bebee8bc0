"""`kustos customer key export ID -o FILE` (parser: cli/parsers/key_export.py).

The passphrase is the first line of standard input (asked for without echo on a terminal);
the export is audited with the actor ``cli``."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from kustos.cli import lookup
from kustos.cli.base import CLIError, Context
from kustos.tenants.services import key_export


def _passphrase() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("Passphrase for the key file: ")
        if getpass.getpass("Repeat the passphrase: ") != first:
            raise CLIError("the passphrases differ")
        return first
    line = sys.stdin.readline()
    if not line.strip():
        raise CLIError("no passphrase on standard input")
    return line.rstrip("\r\n")


def cmd_export(ctx: Context, args: argparse.Namespace) -> dict:
    customer = lookup.customer(args.id)
    if args.output.is_dir():
        raise CLIError(f"{args.output} is a directory; name the key file to write")
    if not args.output.parent.is_dir():
        raise CLIError(f"no such directory: {args.output.parent}")
    data = key_export.export_key(customer, _passphrase(), actor="cli")
    fd = os.open(args.output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return {"customer": customer.id, "path": str(args.output), "bytes": len(data)}
