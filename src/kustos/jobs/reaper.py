"""The reaper: a running job whose heartbeat is older than the timeout lost its process.

It is marked failed with "worker stopped (no heartbeat since …)" and, when its kind allows
another attempt (attempts < max_attempts), set to retry and enqueued again like any failure.
Runs every minute from the scheduler and once at every worker start (``jobs/schedules.py``),
and on demand as ``kustos jobs reap``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kustos.jobs import services
from kustos.jobs.models import Job

log = logging.getLogger("kustos.jobs")


def stale(timeout_seconds: int, now: datetime | None = None):
    """Running jobs without a heartbeat for ``timeout_seconds`` (rows from before heartbeats: by start)."""
    cutoff = (now or timezone.now()) - timedelta(seconds=timeout_seconds)
    return Job.objects.filter(state=Job.State.RUNNING).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff))


def message(job: Job) -> str:
    since = job.heartbeat_at or job.started_at
    where = f" on {job.worker}" if job.worker else ""
    return f"worker stopped (no heartbeat since {since.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC{where})"


def reap(timeout_seconds: int, now: datetime | None = None) -> list[dict]:
    """Fail (or retry) every stale running job; returns ``[{"id","kind","state","error"}]``."""
    reaped = []
    for job in stale(timeout_seconds, now).order_by("started_at"):
        retry = job.attempts < job.max_attempts
        delay = services.backoff_seconds(job.attempts) if retry else None
        error = message(job)
        state = Job.State.RETRYING if retry else Job.State.FAILED
        with transaction.atomic():
            # only if nothing beat in between (a beat means the process is alive after all)
            changed = Job.objects.filter(id=job.id, state=Job.State.RUNNING, heartbeat_at=job.heartbeat_at).update(
                state=state, error=error, finished_at=None if retry else timezone.now())
            if changed and delay is not None:
                transaction.on_commit(lambda job_id=job.id, delay=delay: services.enqueue(job_id, delay))
        if changed:
            log.warning("job %s (%s) reaped: %s; %s", job.id, job.kind, error,
                        f"retry in {delay} s" if retry else "failed")
            reaped.append({"id": job.id, "kind": job.kind, "state": state.value, "error": error})
    return reaped
