"""`kustos procedure-doc` and `kustos art30` — a customer's compliance documents."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from kustos.cli import lookup
from kustos.cli.base import CLIError, Context
from kustos.compliance.services import art30, procedure_doc
from kustos.compliance.services.facts import InstallationFacts


def _write(path: str, data: bytes) -> str:
    target = Path(path)
    try:
        target.write_bytes(data)
    except OSError as exc:
        raise CLIError(f"cannot write {path}: {exc.strerror}") from None
    return str(target)


def cmd_procedure_doc(ctx: Context, args: argparse.Namespace) -> Any:
    customer = lookup.customer(args.customer)
    if args.list:
        ctx.render = _render_list
        return [procedure_doc.public(d) for d in procedure_doc.versions(customer)]
    if not args.output:
        raise CLIError("give -o FILE to write the document, or --list to list the versions")
    if args.doc_version is not None:
        doc, created = procedure_doc.get(customer, args.doc_version), False
    else:
        doc, created = procedure_doc.create(customer, InstallationFacts.from_settings(ctx.settings), actor="cli")
    path = _write(args.output, procedure_doc.payload(doc))
    return {"version": doc.version, "sha256": doc.sha256, "file": path, "created": created}


def _render_list(rows: list[dict[str, Any]]) -> None:
    if not rows:
        print("no procedure documentation versions yet")
    for r in rows:
        print(f"v{r['version']:<4} {str(r['created_at'])[:19]}  {r['sha256'][:16]}  Kustos {r['software_version']}"
              f"  {r['created_by']}")


def cmd_art30(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    customer = lookup.customer(args.customer)
    data = art30.export(customer, InstallationFacts.from_settings(ctx.settings), actor="cli", fmt=args.format)
    return {"customer": customer.id, "format": args.format, "file": _write(args.output, data)}
