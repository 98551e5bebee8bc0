"""`kustos source ...`, `kustos journal address`, `kustos smtpd` — sources of CLI.md. `source add` is\ngenerated from the kind's declared fields (or reads them from ``--settings-file``)."""

from __future__ import annotations

import argparse
import json
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
from kustos.sources.kinds import fields, registry
from kustos.sources.kinds.fields import Kind


def _read(path: Path, noun: str, encoding: str) -> str:
    """A local file named on the command line is read here, by the command; the server stores its content."""
    try:
        return Path(path).read_text(encoding=encoding)
    except FileNotFoundError:
        raise CLIError(f"{noun} file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CLIError(f"cannot read the {noun} file {path}: {type(exc).__name__}") from None


def _from_options(kind: Kind, args: argparse.Namespace) -> tuple[dict, str]:
    """Settings and secret from the options generated for the kind's fields."""
    config: dict = {}
    secret = ""
    for spec in kind.fields:
        value = getattr(args, spec.name, None)
        if spec.type == fields.PASSWORD:
            if not value and spec.required:
                raise CLIError(f"{spec.option} is required (or give --settings-file)")
            secret = sys.stdin.readline().rstrip("\n") if value else ""
        elif spec.type == fields.JSON_FILE:
            if value is None and spec.required:
                raise CLIError(f"{spec.option} is required (or give --settings-file)")
            secret = _read(value, spec.noun or spec.name, "utf-8") if value is not None else ""
        elif value is None:
            if spec.required:
                raise CLIError(f"{spec.option} is required (or give --settings-file)")
        elif spec.type == fields.PEM:
            config[spec.name] = _read(value, spec.noun or spec.name, "ascii")
        else:
            config[spec.name] = value
    return config, secret


def _from_file(kind: Kind, args: argparse.Namespace) -> tuple[dict, str]:
    given = [spec.option for spec in kind.fields if spec.name != "endpoint" and (
        getattr(args, spec.name, None) if spec.type == fields.PASSWORD else getattr(args, spec.name, None) is not None)]
    if given:
        raise CLIError(f"--settings-file and {given[0]} exclude each other: put every setting into the file")
    text = _read(args.settings_file, "settings", "utf-8")
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise CLIError(f"the settings file {args.settings_file} is not valid JSON: {exc.msg} "
                       f"(line {exc.lineno})") from None
    config, secret = service.settings_from_file(kind, data)
    if getattr(args, "endpoint", None):
        config["endpoint"] = args.endpoint
    return config, secret


def cmd_add(ctx: Context, args: argparse.Namespace) -> dict:
    customer = lookup.customer(args.customer)
    kind = registry.get(args.source_kind)
    config, secret = _from_file(kind, args) if args.settings_file else _from_options(kind, args)
    source = service.add(customer, kind.name, config, secret, actor="cli")
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


def cmd_scopes(ctx: Context, args: argparse.Namespace) -> dict:
    result = service.scopes(_source(args.id))
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
