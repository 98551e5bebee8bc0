"""`kustos customer self-service` and `kustos message pdf` (parsers: cli/parsers/self_service.py).

Both run locally with the installation's authority (shell access to the server); changes and
downloads are audited with the actor ``cli``."""

from __future__ import annotations

import argparse

from kustos.archive.models import Message
from kustos.archive.services import message_pdf, messages
from kustos.archive.services.search import Scope
from kustos.cli import lookup
from kustos.cli.base import CLIError, Context
from kustos.tenants.services import self_service


def cmd_switches(ctx: Context, args: argparse.Namespace) -> dict:
    customer = lookup.customer(args.id)
    changes = {name: getattr(args, name) for name in self_service.FEATURES if getattr(args, name) is not None}
    if changes:
        return self_service.update(customer, changes, actor="cli")
    return self_service.as_dict(customer)


def cmd_message_pdf(ctx: Context, args: argparse.Namespace) -> dict:
    msg = Message.objects.select_related("customer").filter(id=args.id).first()
    if msg is None:
        raise CLIError(f"no message with id {args.id!r}")
    if args.output.is_dir():
        raise CLIError(f"{args.output} is a directory; name the PDF file to write")
    if not args.output.parent.is_dir():
        raise CLIError(f"no such directory: {args.output.parent}")
    data = message_pdf.render_pdf(msg, Scope())
    args.output.write_bytes(data)
    messages.log_view("cli", msg, "download_pdf")
    return {"id": msg.id, "path": str(args.output), "bytes": len(data)}
