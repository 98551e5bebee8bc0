"""Parsers of `kustos user token create|list|revoke` and `kustos user password`
(implementation: cli/users.py); added to the `kustos user` parser of parsers/tenants.py."""

from __future__ import annotations

import argparse

from kustos.cli.parsers import app_passwords
from kustos.core.lazy import Deferred


def _run(name: str) -> Deferred:
    return Deferred(f"kustos.cli.users:{name}")


def register(user_sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    t = user_sub.add_parser("token", help="API tokens of a user").add_subparsers(dest="token_command", required=True)
    s = t.add_parser("create", parents=[common], help="create an API token (the secret is shown once)")
    s.add_argument("--user", required=True, metavar="EMAIL")
    s.add_argument("--name", default="cli")
    s.add_argument("--expires-days", type=int, default=None,
                   help="lifetime in days (default: KUSTOS_TOKEN_LIFETIME_DAYS, 90)")
    s.set_defaults(func=_run("cmd_token_create"))
    s = t.add_parser("list", parents=[common], help="list a user's API tokens")
    s.add_argument("--user", required=True, metavar="EMAIL")
    s.set_defaults(func=_run("cmd_token_list"))
    s = t.add_parser("revoke", parents=[common], help="revoke an API token")
    s.add_argument("id", metavar="ID")
    s.set_defaults(func=_run("cmd_token_revoke"))

    s = user_sub.add_parser("password", parents=[common],
                            help="set a user's password (ends all of its sessions and API tokens)")
    s.add_argument("--user", required=True, metavar="EMAIL")
    s.add_argument("--password-stdin", action="store_true",
                   help="read the password from standard input (default: generate a one-time password)")
    s.set_defaults(func=_run("cmd_password"))
    app_passwords.register(user_sub, common)  # user app-password create|list|revoke
