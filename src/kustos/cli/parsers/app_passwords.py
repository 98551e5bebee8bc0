"""Parsers of `kustos user app-password create|list|revoke` (implementation: cli/app_passwords.py);
added to the `kustos user` parser by parsers/users.py."""

from __future__ import annotations

import argparse

from kustos.core.lazy import Deferred


def _run(name: str) -> Deferred:
    return Deferred(f"kustos.cli.app_passwords:{name}")


def register(user_sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    a = user_sub.add_parser("app-password", help="app passwords of a user (read-only IMAP access for mail clients)")
    t = a.add_subparsers(dest="app_password_command", required=True)
    s = t.add_parser("create", parents=[common], help="create an app password (the secret is shown once)")
    s.add_argument("--user", required=True, metavar="EMAIL")
    s.add_argument("--name", required=True, help="the device or mail client it is for")
    s.set_defaults(func=_run("cmd_create"))
    s = t.add_parser("list", parents=[common], help="list a user's app passwords")
    s.add_argument("--user", required=True, metavar="EMAIL")
    s.set_defaults(func=_run("cmd_list"))
    s = t.add_parser("revoke", parents=[common], help="revoke an app password (by id, or every active one of a name)")
    s.add_argument("--user", required=True, metavar="EMAIL")
    s.add_argument("id", nargs="?", metavar="ID")
    s.add_argument("--name", default=None)
    s.set_defaults(func=_run("cmd_revoke"))
