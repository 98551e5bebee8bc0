"""The huey side of jobs: one task that runs any Job by kind, with retries and backoff."""

from __future__ import annotations

import logging

from huey.contrib.djhuey import HUEY, db_task

from kustos.core.lazy import resolve
from kustos.jobs import services
from kustos.jobs.heartbeat import Heartbeat
from kustos.jobs.models import Job

# Handlers import the services that do the work (ingest, connectors, vault); they are loaded
# when the first job runs, not in every process that only enqueues jobs.
HANDLERS = "kustos.jobs.handlers:HANDLERS"

log = logging.getLogger("kustos.jobs")


@db_task()
def run_job(job_id: str) -> None:
    execute(job_id)


def execute(job_id: str) -> None:
    """Run one job now (also used by tests and `kustos jobs run`)."""
    job = Job.objects.filter(id=job_id).first()
    if job is None or job.done:
        return
    handler = resolve(HANDLERS).get(job.kind)
    if handler is None:
        services.mark_failed(job, f"unknown job kind {job.kind!r}", None)
        return
    services.mark_running(job)
    heartbeat = Heartbeat(job.id, job.worker, services.heartbeat_interval()).start()
    try:
        result = handler(job, services.Progress(job))
    except Exception as exc:  # a job failure must never kill the worker
        log.exception("job %s (%s) failed on attempt %s", job.id, job.kind, job.attempts)
        delay = services.backoff_seconds(job.attempts) if services.should_retry(job, exc) else None
        services.mark_failed(job, f"{type(exc).__name__}: {exc}", delay)
        if delay is not None:
            services.enqueue(job.id, delay)
        return
    finally:
        heartbeat.stop()
    services.mark_succeeded(job, result)


def enqueue(job_id: str, delay: int) -> None:
    """Hand a job to huey (jobs.services.enqueue calls this; it runs inline in immediate mode)."""
    if services.inline is not None:
        HUEY.immediate = services.inline
    if HUEY.immediate or delay <= 0:
        run_job(job_id)
    else:
        run_job.schedule((job_id,), delay=delay)
