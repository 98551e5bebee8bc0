"""`kustos gdpr access|erase|restrict|requests|show` — data-subject requests (requirements 22, 23)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from kustos.cli import lookup
from kustos.cli.base import CLIError, Context
from kustos.lifecycle.models import GdprRequest
from kustos.lifecycle.services import gdpr, gdpr_report

SUFFIXES = (".md", ".html", ".zip")


def _output(path: str | None) -> Path | None:
    if not path:
        return None
    target = Path(path)
    if target.suffix.lower() not in SUFFIXES:
        raise CLIError(f"-o {path}: the name must end in .md or .html (report) or .zip (export)")
    if not target.parent.is_dir():
        raise CLIError(f"-o {path}: directory {target.parent} does not exist")
    return target


def _write(request: GdprRequest, target: Path) -> str:
    suffix = target.suffix.lower()
    try:
        if suffix == ".zip":
            gdpr_report.export(request, target, actor="cli")
        else:
            target.write_bytes(gdpr_report.report(request, suffix[1:], actor="cli"))
    except OSError as exc:
        raise CLIError(f"cannot write {target}: {exc.strerror}") from None
    return str(target)


def cmd_request(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    customer = lookup.customer(args.customer)
    target = _output(args.output)  # checked before the request is recorded
    request = gdpr.run(customer, args.kind, args.subject, actor="cli")
    result = gdpr.as_dict(request)
    if target is not None:
        result["file"] = _write(request, target)
    ctx.render = _render
    return result


def cmd_requests(ctx: Context, args: argparse.Namespace) -> list[dict[str, Any]]:
    return [gdpr.summary_dict(r) for r in gdpr.requests(lookup.customer(args.customer))]


def cmd_show(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    target = _output(args.output)
    request = gdpr.get(lookup.customer(args.customer), args.request_id)
    result = gdpr.as_dict(request)
    if target is not None:
        result["file"] = _write(request, target)
    ctx.render = _render
    return result


def _render(r: dict[str, Any]) -> None:
    counts = ", ".join(f"{k} {v}" for k, v in sorted(r["summary"].items())) or "no messages"
    print(f"{r['request']}  {r['kind']}  {r['subject']}: {r['messages']} messages ({counts})")
    for d in r["decisions"]:
        print(f"  {d['message']}  {d['decision']:18} {d['reason']}")
    if r.get("file"):
        print(f"written to {r['file']}")
