"""`kustos billing csv|show` (parsers: cli/parsers/billing.py); the service is
billing/services/statement.py (rules in its docstring)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from kustos.billing.services import statement_csv
from kustos.billing.services.statement import MissingPrice, Statement, statement
from kustos.cli import lookup
from kustos.cli.base import CLIError, Context


def _statement(args: argparse.Namespace) -> Statement:
    partner = lookup.partner(args.partner) if args.partner else None
    try:
        return statement(args.month, partner)
    except MissingPrice as exc:
        raise CLIError(str(exc)) from exc


def cmd_csv(ctx: Context, args: argparse.Namespace) -> dict | None:
    st = _statement(args)
    data = statement_csv.to_bytes(st)
    if args.output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return None
    target = Path(args.output)
    if target.is_dir():
        raise CLIError(f"{target} is a directory: name the CSV file to write")
    try:
        target.write_bytes(data)
    except OSError as exc:
        raise CLIError(f"cannot write {target}: {exc.strerror or exc}") from exc
    ctx.info(f"{len(st.rows)} rows, total {st.total:.2f} EUR → {os.fspath(target)}")
    return {"month": str(st.month), "partner": st.partner.id if st.partner else "", "rows": len(st.rows),
            "total": f"{st.total:.2f}", "file": os.fspath(target)} if ctx.json else None


def cmd_show(ctx: Context, args: argparse.Namespace) -> dict | list:
    st = _statement(args)
    if ctx.json:
        return st.as_dict()
    return [r.values() for r in st.rows]
