"""`kustos backup enable|run|snapshots|ls|download` (CLI.md contract, ``--json`` on each)."""

from __future__ import annotations

import argparse
import os
from typing import Any

from kustos.archive.models import Source
from kustos.backup.services import browse, download, plans, retention
from kustos.cli.base import CLIError, Context
from kustos.jobs.models import Job
from kustos.jobs.tasks import execute


def _source(ref: str) -> Source:
    found = Source.objects.select_related("customer").filter(id=ref).first()
    if found is None:
        raise CLIError(f"no source with id {ref!r}")
    return found


def cmd_enable(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    services = [s for s in args.services.split(",")] if args.services else None
    keep = {name: getattr(args, name) for name in retention.RULES}
    plan = plans.enable(_source(args.source), scopes=args.scope, services=services,
                        interval_minutes=args.interval_minutes, paused=args.paused, keep=keep, actor="cli")
    return {"plan": plan.id}


def cmd_forget(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    r = retention.apply(plans.for_source(_source(args.source)), dry_run=args.dry_run, actor="cli")
    return {"removed": r["removed"], "kept": r["kept"], "freed_bytes": r["freed_bytes"]}


def cmd_run(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    plan = plans.for_source(_source(args.source))
    job = plans.run_now(plan, actor="cli")
    execute(job.id)  # waits: runs it here unless the queue ran it already (then this returns at once)
    job.refresh_from_db()
    if job.state != Job.State.SUCCEEDED:
        raise CLIError(f"backup of source {args.source} failed: {job.error or job.state}")
    r = job.result
    return {"snapshot": r["snapshot"], "items": r["items"], "new_bytes": r["new_bytes"], "failed": r["failed"]}


def cmd_snapshots(ctx: Context, args: argparse.Namespace) -> list[dict[str, Any]]:
    plan = plans.for_source(_source(args.source))
    return [{k: s[k] for k in ("id", "time", "complete", "items", "bytes")} for s in browse.snapshots(plan)]


def cmd_ls(ctx: Context, args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = browse.ls(browse.find(args.snapshot), args.account, args.path)
    return [{k: r[k] for k in ("account", "path", "kind", "size", "sha256", "modified")} for r in rows]


def cmd_download(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    stream = download.zip_stream(browse.find(args.snapshot), args.account, args.path)
    target = args.output
    partial = target.with_name(target.name + ".part")
    size = 0
    try:
        with open(partial, "wb") as out:
            for piece in stream:
                out.write(piece)
                size += len(piece)
        os.replace(partial, target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise CLIError(f"cannot write {target}: {exc.strerror or exc}") from None
    return {"file": str(target), "bytes": size}
