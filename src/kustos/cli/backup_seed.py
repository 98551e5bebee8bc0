"""`kustos backup seed SNAPSHOT --to-source S --object O [--where EXPR] [--with-children] [--mask-personal]
[--mask-field O.F ...] [--json]` → ``{"records": {NAME: N}, "selected", "masked", "failed",
"unresolved_lookups"}`` (waits for the seeding job)."""

from __future__ import annotations

import argparse
from typing import Any

from kustos.backup.services import browse, seed
from kustos.cli.base import CLIError, Context
from kustos.jobs.models import Job
from kustos.jobs.tasks import execute


def cmd_seed(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    snap = browse.find(args.snapshot)
    job = seed.request(snap, actor="cli", to_source=args.to_source, object=args.object, where=args.where,
                       mask_personal=args.mask_personal, mask_fields=args.mask_field,
                       with_children=args.with_children)
    execute(job.id)  # waits: runs it here unless the queue ran it already
    job.refresh_from_db()
    if job.state != Job.State.SUCCEEDED:
        raise CLIError(f"seeding from snapshot {args.snapshot} failed: {job.error or job.state}")
    r = job.result
    return {k: r[k] for k in ("records", "selected", "masked", "failed", "unresolved_lookups")}
