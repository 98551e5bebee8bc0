"""`kustos source ...`, `kustos journal address`, `kustos smtpd` — archive sources of CLI.md."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from kustos.archive.models import Source
from kustos.archive.services import journal
from kustos.archive.services import sources as service
from kustos.cli import lookup, smtp_service
from kustos.cli.base import CLIError, Context
from kustos.sources.base import ConnectorError


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    src = sub.add_parser("source", help="archive sources").add_subparsers(dest="sub", required=True)
    add = src.add_parser("add", help="connect a source").add_subparsers(dest="kind", required=True)
    for kind in ("imap", "pop3"):
        p = add.add_parser(kind, parents=[common], help=f"connect an {kind.upper()} mailbox")
        p.add_argument("--customer", required=True)
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
        p.set_defaults(func=cmd_add)
    p = add.add_parser("graph", parents=[common], help="connect a Microsoft 365 tenant")
    p.add_argument("--customer", required=True)
    p.add_argument("--tenant-id", required=True)
    p.add_argument("--client-id", required=True)
    p.add_argument("--client-secret-stdin", action="store_true", required=True)
    p.add_argument("--endpoint", default=None)
    p.set_defaults(func=cmd_add)
    p = add.add_parser("gmail", parents=[common], help="connect a Google Workspace domain")
    p.add_argument("--customer", required=True)
    p.add_argument("--service-account-file", required=True, type=Path)
    p.add_argument("--admin-email", required=True)
    p.add_argument("--endpoint", default=None)
    p.set_defaults(func=cmd_add)

    p = src.add_parser("list", parents=[common], help="list sources")
    p.add_argument("--customer", default=None)
    p.set_defaults(func=cmd_list)
    for name, func, text in (("run", cmd_run, "fetch now"), ("test", cmd_test, "test the connection")):
        p = src.add_parser(name, parents=[common], help=text)
        p.add_argument("id")
        p.set_defaults(func=func)

    j = sub.add_parser("journal", help="SMTP journaling").add_subparsers(dest="sub", required=True)
    p = j.add_parser("address", parents=[common], help="the customer's journaling address")
    p.add_argument("--customer", required=True)
    p.set_defaults(func=cmd_journal_address)

    p = sub.add_parser("smtpd", parents=[common], help="run the SMTP journaling receiver (scale-out)")
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=None)
    p.set_defaults(func=cmd_smtpd, immediate_jobs=False)


def _ca_pem(path: Path | None) -> str | None:
    """The CA certificate file is read here, by the command; the server stores only its PEM text."""
    if path is None:
        return None
    try:
        return Path(path).read_text(encoding="ascii")
    except FileNotFoundError:
        raise CLIError(f"CA certificate file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CLIError(f"cannot read the CA certificate file {path}: {type(exc).__name__}") from None


def _config(args: argparse.Namespace) -> tuple[dict, str]:
    if args.kind in ("imap", "pop3"):
        config = {"host": args.host, "port": args.port, "security": args.security, "username": args.username,
                  "mailbox": args.mailbox}
        if args.no_verify_tls:
            config["tls_verify"] = False
        ca_pem = _ca_pem(getattr(args, "ca_file", None))
        if ca_pem is not None:
            config["ca_pem"] = ca_pem
        if args.kind == "imap":
            config.update(include=args.include, exclude=args.exclude, delete_after_days=args.delete_after_days or None)
        return config, sys.stdin.readline().rstrip("\n")
    if args.kind == "graph":
        return ({"tenant_id": args.tenant_id, "client_id": args.client_id, "endpoint": args.endpoint},
                sys.stdin.readline().rstrip("\n"))
    if not args.service_account_file.is_file():
        raise CLIError(f"service account file not found: {args.service_account_file}")
    return {"admin_email": args.admin_email, "endpoint": args.endpoint}, args.service_account_file.read_text()


def cmd_add(ctx: Context, args: argparse.Namespace) -> dict:
    customer = lookup.customer(args.customer)
    config, secret = _config(args)
    source = service.add(customer, args.kind, config, secret, actor="cli")
    return {"id": source.id, "kind": source.kind}


def _source(ref: str) -> Source:
    found = Source.objects.select_related("customer").filter(id=ref).first()
    if found is None:
        raise CLIError(f"no source with id {ref!r}")
    return found


def cmd_list(ctx: Context, args: argparse.Namespace) -> list:
    qs = Source.objects.select_related("customer")
    if args.customer:
        qs = qs.filter(customer=lookup.customer(args.customer))
    return [service.public(s) for s in qs]


def cmd_run(ctx: Context, args: argparse.Namespace) -> dict:
    source = _source(args.id)
    try:
        return service.run(source)
    except (ConnectorError, OSError) as exc:
        raise CLIError(f"source {source.id} failed: {exc}") from exc


def cmd_test(ctx: Context, args: argparse.Namespace) -> dict:
    result = service.test(_source(args.id))
    if not result["ok"]:
        ctx.exit_code = 1
    return result


def cmd_journal_address(ctx: Context, args: argparse.Namespace) -> dict:
    return {"address": journal.address(lookup.customer(args.customer))}


def cmd_smtpd(ctx: Context, args: argparse.Namespace) -> None:
    settings = ctx.settings
    service_ = smtp_service.start(settings, host=args.host or settings.host, port=args.port or settings.smtp_port)
    ctx.info(f"SMTP journaling receiver on {args.host or settings.host}:{service_.port}")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    service_.stop()
