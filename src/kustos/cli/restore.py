"""`kustos restore` → ``{"restored", "skipped", "failed"}``: a restore-to-mailbox job run inline."""

from __future__ import annotations

import argparse
from typing import Any

from kustos.archive.services import mailbox_restore
from kustos.cli import lookup
from kustos.cli.base import CLIError, Context


def cmd_restore(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    customer = lookup.customer(args.customer)
    job = mailbox_restore.request(customer, "cli", origin="cli", here=True, message_ids=args.ids,
                                  query=" ".join(args.query), folder=args.folder, mailbox=args.mailbox,
                                  to_mailbox=args.to_mailbox, to_folder=args.to_folder, source=args.source)
    try:
        with ctx.progress("restoring") as advance:
            report = mailbox_restore.execute_here(job, advance)
    except Exception as exc:  # noqa: BLE001 - the job row has the details; the command says it in one line
        raise CLIError(f"restore job {job.id} failed: {exc}") from exc
    ctx.info(f"job {job.id}")
    return {"restored": report["restored"], "skipped": report["skipped"], "failed": report["failed"],
            "skipped_reasons": report["skipped_reasons"], "job": job.id}
