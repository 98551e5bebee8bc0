"""`kustos jobs reap`: fail (or retry) running jobs whose worker stopped sending heartbeats."""

from __future__ import annotations

import argparse

from kustos.cli.base import CLIError, Context
from kustos.jobs import reaper


def cmd_jobs_reap(ctx: Context, args: argparse.Namespace) -> list:
    timeout = ctx.settings.job_heartbeat_timeout if args.timeout is None else args.timeout
    if timeout < 1:
        raise CLIError(f"--timeout must be at least 1 second, not {timeout}")
    reaped = reaper.reap(timeout)
    ctx.info(f"{len(reaped)} job(s) reaped")
    return reaped
