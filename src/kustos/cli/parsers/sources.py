"""Parsers of `kustos source ...`, `kustos journal address`, `kustos smtpd` (implementation: cli/sources.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from kustos.cli.parsers import journal as journal_parsers
from kustos.core.lazy import Deferred


def _run(name: str) -> Deferred:
    return Deferred(f"kustos.cli.sources:{name}")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    src = sub.add_parser("source", help="archive sources").add_subparsers(dest="sub", required=True)
    add = src.add_parser("add", help="connect a source").add_subparsers(dest="kind", required=True)
    for kind in ("imap", "pop3"):
        p = add.add_parser(kind, parents=[common], help=f"connect an {kind.upper()} mailbox")
        p.add_argument("--customer", required=True, help="customer id or name")
        p.add_argument("--host", required=True)
        p.add_argument("--port", type=int, default=None)
        p.add_argument("--security", choices=["none", "starttls", "tls"], default="tls")
        p.add_argument("--username", required=True)
        p.add_argument("--password-stdin", action="store_true", required=True)
        p.add_argument("--mailbox", default=None, help="archive mailbox address (default: the username)")
        p.add_argument("--no-verify-tls", action="store_true", help="accept self-signed certificates")
        p.add_argument("--ca-file", type=Path, default=None,
                       help="CA certificate (PEM) to trust; this command reads the file and stores its content")
        if kind == "imap":
            p.add_argument("--include", nargs="*", default=[])
            p.add_argument("--exclude", nargs="*", default=[])
            p.add_argument("--delete-after-days", type=int, default=0,
                           help="delete messages on the server N days after they were archived and verified")
        p.set_defaults(func=_run("cmd_add"))
    p = add.add_parser("graph", parents=[common], help="connect a Microsoft 365 tenant")
    p.add_argument("--customer", required=True, help="customer id or name")
    p.add_argument("--tenant-id", required=True)
    p.add_argument("--client-id", required=True)
    p.add_argument("--client-secret-stdin", action="store_true", required=True)
    p.add_argument("--endpoint", default=None)
    p.set_defaults(func=_run("cmd_add"))
    p = add.add_parser("gmail", parents=[common], help="connect a Google Workspace domain")
    p.add_argument("--customer", required=True, help="customer id or name")
    p.add_argument("--service-account-file", required=True, type=Path)
    p.add_argument("--admin-email", required=True)
    p.add_argument("--endpoint", default=None)
    p.set_defaults(func=_run("cmd_add"))

    p = src.add_parser("list", parents=[common], help="list sources")
    p.add_argument("--customer", default=None, help="customer id or name")
    p.set_defaults(func=_run("cmd_list"))
    for name, func, text in (("run", "cmd_run", "fetch now"), ("test", "cmd_test", "test the connection")):
        p = src.add_parser(name, parents=[common], help=text)
        p.add_argument("id")
        p.set_defaults(func=_run(func))

    j = sub.add_parser("journal", help="SMTP journaling").add_subparsers(dest="sub", required=True)
    p = j.add_parser("address", parents=[common], help="the customer's journaling address")
    p.add_argument("--customer", required=True, help="customer id or name")
    p.set_defaults(func=_run("cmd_journal_address"))
    journal_parsers.add_configure(j, common)

    p = sub.add_parser("smtpd", parents=[common], help="run the SMTP journaling receiver (scale-out)")
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=None)
    p.set_defaults(func=_run("cmd_smtpd"), immediate_jobs=False)
