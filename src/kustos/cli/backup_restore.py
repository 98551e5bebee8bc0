"""`kustos backup restore SNAPSHOT [--account A] [--path P...] [--to-account B] [--to-path P]
[--to-source S] [--conflict skip|copy|replace] [--dry-run]` → ``{"restored", "skipped", "failed"}`` (waits for the restore
job); with ``--dry-run`` → ``{"items", "bytes", "accounts", "missing"}`` and nothing is restored."""

from __future__ import annotations

import argparse
from typing import Any

from kustos.backup.services import browse, restore
from kustos.cli.base import CLIError, Context
from kustos.jobs.models import Job
from kustos.jobs.tasks import execute


def cmd_restore(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    snap = browse.find(args.snapshot)
    options = {"account": args.account, "paths": args.path, "to_account": args.to_account,
               "to_path": args.to_path, "conflict": args.conflict, "to_source": args.to_source}
    if args.dry_run:
        return restore.preview(snap, restore.clean(snap, **options))
    job = restore.request(snap, actor="cli", **options)
    execute(job.id)  # waits: runs it here unless the queue ran it already
    job.refresh_from_db()
    if job.state != Job.State.SUCCEEDED:
        raise CLIError(f"restore from snapshot {args.snapshot} failed: {job.error or job.state}")
    r = job.result
    return {"restored": r["restored"], "skipped": r["skipped"], "failed": r["failed"],
            **{k: r[k] for k in ("recreated", "unresolved_lookups") if k in r}}
