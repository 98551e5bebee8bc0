"""Platform commands: serve, migrate, worker, scheduler, createadmin."""

from __future__ import annotations

import argparse
import sys

from kustos.accounts.services import users
from kustos.cli import server
from kustos.cli.base import CLIError, Context


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("serve", parents=[common], help="run everything on one machine")
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=None)
    p.add_argument("--smtp-port", type=int, default=None)
    p.add_argument("--no-smtp", action="store_true", help="do not start the SMTP journaling receiver")
    p.set_defaults(func=server.cmd_serve, auto_migrate=False, immediate_jobs=False)

    p = sub.add_parser("migrate", parents=[common], help="apply database migrations")
    p.set_defaults(func=server.cmd_migrate, auto_migrate=False)
    p = sub.add_parser("worker", parents=[common], help="run job workers (scale-out)")
    p.add_argument("--workers", type=int, default=None)
    p.set_defaults(func=server.cmd_worker, immediate_jobs=False)
    p = sub.add_parser("scheduler", parents=[common], help="run the periodic scheduler (scale-out)")
    p.set_defaults(func=server.cmd_scheduler, immediate_jobs=False)

    p = sub.add_parser("createadmin", parents=[common], help="create an operator account")
    p.add_argument("--email", required=True)
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p.set_defaults(func=cmd_createadmin)


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
