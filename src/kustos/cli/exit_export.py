"""`kustos customer export ID -o DIR` (parser: cli/parsers/exit_export.py): the customer exit
export, run in this process as a ``customer.exit_export`` job (progress on the job page);
running it again with the same DIR continues an interrupted export. Audited with the actor ``cli``."""

from __future__ import annotations

import argparse

from kustos.archive.exit_export import service
from kustos.cli import lookup
from kustos.cli.base import CLIError, Context
from kustos.jobs import services as jobs


def cmd_export(ctx: Context, args: argparse.Namespace) -> dict:
    customer = lookup.customer(args.id)
    out = args.output.absolute()
    try:
        service.check_target(customer, out)
    except service.ExitExportError as exc:
        raise CLIError(str(exc)) from exc
    job = jobs.start(service.JOB_KIND, customer=customer, created_by="cli", params={"path": str(out), "origin": "cli"})
    try:
        result = service.run(customer, out, actor="cli", progress=jobs.Progress(job))
    except service.ExitExportError as exc:
        jobs.mark_failed(job, str(exc), None)
        raise CLIError(str(exc)) from exc
    except BaseException as exc:  # interrupted or failed: the job must not stay "running"
        jobs.mark_failed(job, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__, None)
        raise
    jobs.mark_succeeded(job, result)
    if not result["ok"]:
        ctx.exit_code = 1
    return {**result, "job": job.id}
