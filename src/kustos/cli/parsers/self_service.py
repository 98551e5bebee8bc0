"""Parsers of `kustos customer self-service C [--search on|off] [--download on|off] [--restore on|off]
[--imap on|off]` and `kustos message pdf ID -o FILE` (implementation: cli/self_service.py).

`customer` and `message` are defined by the tenancy and archive parsers; this module adds one
subcommand to each, so it is registered after them."""

from __future__ import annotations

import argparse
from pathlib import Path

from kustos.core.lazy import Deferred

#: The switches (``SelfService.FEATURES``, in that order; names of features, not of source kinds) and their help.
SWITCHES = tuple("search download restore imap".split())
HELP = (
    "end users search and read their own archived mail",
    "end users download their mail (EML, original, attachments, PDF, exports)",
    "end users restore their mail into their mailbox",
    "end users reach the archive from a mail client over IMAP with app passwords",
)


def _subcommands(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    customer = _subcommands(sub.choices["customer"])
    s = customer.add_parser("self-service", parents=[common],
                            help="show or change what the customer's end users may do themselves")
    s.add_argument("id", help="customer id or name")
    for name, text in zip(SWITCHES, HELP, strict=True):
        s.add_argument(f"--{name}", choices=["on", "off"], default=None, help=text)
    s.set_defaults(func=Deferred("kustos.cli.self_service:cmd_switches"))

    message = _subcommands(sub.choices["message"])
    s = message.add_parser("pdf", parents=[common],
                           help="the message as PDF (headers, sanitised body, attachment list)")
    s.add_argument("id")
    s.add_argument("-o", "--output", required=True, type=Path, help="the PDF file to write")
    s.set_defaults(func=Deferred("kustos.cli.self_service:cmd_message_pdf"))
