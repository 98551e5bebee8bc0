"""Parsers of `kustos source ...`, `kustos journal address`, `kustos smtpd` (implementation: cli/sources.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from kustos.cli.parsers import journal as journal_parsers
from kustos.cli.parsers import source_cleanup
from kustos.core.lazy import Deferred
from kustos.sources.kinds import fields, registry
from kustos.sources.kinds.fields import Field, Kind


def _run(name: str) -> Deferred:
    return Deferred(f"kustos.cli.sources:{name}")


def _option(p: argparse.ArgumentParser, spec: Field) -> None:
    """One option per declared field; ``required`` is checked by the command (a settings file may
    give the fields instead)."""
    dest = spec.name
    helptext = spec.cli_help or spec.label
    if spec.type == fields.PASSWORD:
        p.add_argument(spec.option, dest=dest, action="store_true", help=f"read the {spec.noun or spec.name} "
                       "from the first line of standard input")
    elif spec.type in (fields.JSON_FILE, fields.PEM):
        p.add_argument(spec.option, dest=dest, type=Path, default=None, metavar="FILE", help=helptext)
    elif spec.type == fields.BOOL:
        negative = spec.option.startswith("--no-")
        p.add_argument(spec.option, dest=dest, action="store_false" if negative else "store_true", default=None,
                       help=helptext)
    elif spec.type == fields.LIST:
        p.add_argument(spec.option, dest=dest, nargs="*", default=None, help=helptext)
    elif spec.type == fields.INT:
        p.add_argument(spec.option, dest=dest, type=int, default=None, help=helptext)
    elif spec.type == fields.CHOICE:
        p.add_argument(spec.option, dest=dest, choices=[c[0] for c in spec.choices], default=None, help=helptext)
    else:
        p.add_argument(spec.option, dest=dest, default=None, help=helptext)


def add_kind(add: argparse._SubParsersAction, common: argparse.ArgumentParser, kind: Kind) -> None:
    """`kustos source add KIND`: the kind's declared fields as options, or ``--settings-file``."""
    p = add.add_parser(kind.name, parents=[common], help=f"connect a {kind.label} source")
    p.add_argument("--customer", required=True, help="customer id or name")
    p.add_argument("--settings-file", type=Path, default=None, metavar="FILE.json",
                   help="the kind's fields as a JSON object (secrets included; read from the file, never arguments)")
    for spec in kind.fields:
        _option(p, spec)
    p.set_defaults(func=_run("cmd_add"), source_kind=kind.name)


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    src = sub.add_parser("source", help="archive sources").add_subparsers(dest="sub", required=True)
    add = src.add_parser("add", help="connect a source").add_subparsers(dest="kind", required=True)
    for kind in registry.all_kinds():
        add_kind(add, common, kind)

    p = src.add_parser("list", parents=[common], help="list sources")
    p.add_argument("--customer", default=None, help="customer id or name")
    p.set_defaults(func=_run("cmd_list"))
    for name, func, text in (("run", "cmd_run", "fetch now"), ("test", "cmd_test", "test the connection"),
                             ("scopes", "cmd_scopes", "discover mailboxes, users, drives, sites, teams")):
        p = src.add_parser(name, parents=[common], help=text)
        p.add_argument("id")
        p.set_defaults(func=_run(func))
    source_cleanup.add(src, common)

    j = sub.add_parser("journal", help="SMTP journaling").add_subparsers(dest="sub", required=True)
    p = j.add_parser("address", parents=[common], help="the customer's journaling address")
    p.add_argument("--customer", required=True, help="customer id or name")
    p.set_defaults(func=_run("cmd_journal_address"))
    journal_parsers.add_configure(j, common)
    journal_parsers.add_setup(j, common)

    p = sub.add_parser("smtpd", parents=[common], help="run the SMTP journaling receiver (scale-out)")
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=None)
    p.set_defaults(func=_run("cmd_smtpd"), immediate_jobs=False)
