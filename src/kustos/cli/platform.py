"""`kustos createadmin` (serve, migrate, worker and scheduler are in cli/server.py; parsers in cli/parsers/platform.py)."""

from __future__ import annotations

import argparse
import sys

from kustos.accounts.services import users
from kustos.cli.base import CLIError, Context


def cmd_createadmin(ctx: Context, args: argparse.Namespace) -> dict | None:
    """A given password must pass the password rules; a generated one is a one-time password
    (the first sign-in must choose a new one)."""
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else users.generate_password()
    if not password:
        raise CLIError("no password on standard input")
    one_time = not args.password_stdin
    user = users.create(args.email, "operator", password=password, actor="cli", one_time_password=one_time)
    if one_time and not ctx.json:
        ctx.out.print(f"operator {user.email} created; one-time password (first sign-in only): {password}",
                      highlight=False, soft_wrap=True)
    if not ctx.json:
        return None
    return {"id": user.id, "password": password, "must_change_password": True} if one_time else {"id": user.id}
