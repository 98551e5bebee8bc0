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
