"""Creating and updating jobs. Handlers live in jobs/handlers.py; huey runs them (jobs/tasks.py).

The huey task is enqueued after the creating transaction commits, so a worker never
sees a job id that is not yet in the database. This module does not import huey: the queue
(jobs/tasks.py) is loaded when the first job is enqueued, so processes that never start a
job (most `kustos` commands) do not pay for it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kustos.core.lazy import resolve
from kustos.jobs.heartbeat import Heartbeat, worker_identity
from kustos.jobs.models import Job
from kustos.vault.errors import LockedError


class PermanentJobError(Exception):
    """A failure that retrying cannot fix (the job fails at once)."""


#: A job that found its customer's vault locked by another writer (an import, a journal drain, a
#: source run on another worker) is busy, not broken: it is tried again after the backoff, up to
#: this many attempts whatever its own max_attempts (a scheduled source run has one).
BUSY_ATTEMPTS = 6


def should_retry(job: Job, exc: BaseException) -> bool:
    """Whether a job that failed with ``exc`` on its current attempt is tried again."""
    if isinstance(exc, PermanentJobError):
        return False
    limit = max(job.max_attempts, BUSY_ATTEMPTS) if isinstance(exc, LockedError) else job.max_attempts
    return job.attempts < limit


QUEUE = "kustos.jobs.tasks:enqueue"

# None: the queue's own configuration decides; True/False: run jobs inline (the `kustos`
# commands) or through the queue (serve/worker/scheduler). Read by jobs/tasks.py.
inline: bool | None = None


def set_inline(flag: bool) -> None:
    global inline
    inline = flag


def create(kind: str, *, customer: Any = None, partner: Any = None, params: dict | None = None,
           created_by: str = "", max_attempts: int = 3) -> Job:
    """Record a job and enqueue it for the workers."""
    job = Job.objects.create(
        kind=kind, params=params or {}, created_by=created_by, max_attempts=max_attempts,
        customer_id=getattr(customer, "id", "") or "", customer_name=getattr(customer, "name", "") or "",
        partner_id=getattr(partner, "id", None) or getattr(customer, "partner_id", None),
    )
    transaction.on_commit(lambda: enqueue(job.id, 0))
    return job


def start(kind: str, *, customer: Any = None, partner: Any = None, params: dict | None = None,
          created_by: str = "") -> Job:
    """Record a job that the calling process runs itself (e.g. `kustos import`): it starts in
    state running and is never queued; the caller reports progress and marks the outcome."""
    now = timezone.now()
    job = Job.objects.create(
        kind=kind, params=params or {}, created_by=created_by, max_attempts=1, attempts=1,
        state=Job.State.RUNNING, started_at=now, heartbeat_at=now, worker=worker_identity(),
        customer_id=getattr(customer, "id", "") or "", customer_name=getattr(customer, "name", "") or "",
        partner_id=getattr(partner, "id", None) or getattr(customer, "partner_id", None),
    )
    # beats until the caller marks the outcome (the thread sees the job leave "running" and ends);
    # started once the row is committed, so the thread can see it
    beat = Heartbeat(job.id, job.worker, heartbeat_interval())
    transaction.on_commit(beat.start)
    return job


def heartbeat_interval() -> int:
    return settings.KUSTOS.job_heartbeat_interval


def enqueue(job_id: str, delay: int) -> None:
    resolve(QUEUE)(job_id, delay)


class Progress:
    """Handed to a handler: ``progress(done, total, text)`` updates the job row (throttled) and
    its heartbeat."""

    def __init__(self, job: Job):
        self.job = job
        self._last = 0.0

    def __call__(self, done: int, total: int | None = None, text: str = "") -> None:
        now = timezone.now().timestamp()
        fraction = min(1.0, done / total) if total else self.job.progress
        if now - self._last < 0.5 and fraction < 1.0:
            return
        self._last = now
        Job.objects.filter(id=self.job.id).update(progress=fraction, progress_text=text[:200],
                                                  heartbeat_at=timezone.now())


def mark_running(job: Job) -> None:
    now = timezone.now()
    job.state, job.started_at, job.attempts = Job.State.RUNNING, now, job.attempts + 1
    job.heartbeat_at, job.worker = now, worker_identity()
    job.save(update_fields=["state", "started_at", "attempts", "heartbeat_at", "worker"])


def mark_succeeded(job: Job, result: dict | None) -> None:
    Job.objects.filter(id=job.id).update(
        state=Job.State.SUCCEEDED, progress=1.0, result=result or {}, error="", finished_at=timezone.now())


def mark_failed(job: Job, error: str, retry_in: int | None) -> None:
    state = Job.State.RETRYING if retry_in is not None else Job.State.FAILED
    Job.objects.filter(id=job.id).update(
        state=state, error=error[:4000], finished_at=None if retry_in is not None else timezone.now())


def backoff_seconds(attempt: int) -> int:
    """Retry delay after the ``attempt``-th failure: 10 s, 40 s, 160 s, ... capped at one hour."""
    return min(3600, 10 * 4 ** max(0, attempt - 1))
