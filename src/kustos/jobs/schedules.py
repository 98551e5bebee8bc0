"""Periodic work (huey periodic tasks). Each one only enqueues jobs or calls a service."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task

from kustos.archive.services import alerts, export_files, ocr_queue, source_schedule
from kustos.backup import jobs as backup_jobs
from kustos.backup.services import search_hooks
from kustos.core import runtime
from kustos.jobs import reaper
from kustos.tenants.models import Customer


@db_periodic_task(crontab(minute="*"))
def enqueue_due_sources() -> int:
    """Every minute: start a job for every source whose interval (default 15 min) has elapsed."""
    return len(source_schedule.enqueue_due())


@db_periodic_task(crontab(minute="*"))
def enqueue_due_backups() -> int:
    """Every minute: start a backup run for every plan whose interval (default 8 hours) has elapsed
    (under the scheduler lock: a second scheduler never starts a plan twice)."""
    with source_schedule.tick():
        return backup_jobs.enqueue_due()


@db_periodic_task(crontab(minute="41", hour="2"))
def enqueue_backup_retention() -> int:
    """Daily: forget and prune what each backup plan's retention policy drops."""
    return backup_jobs.enqueue_retention()


@db_periodic_task(crontab(minute="*/10"))
def enqueue_backup_indexing() -> int:
    """Every 10 minutes: index backup snapshots the search index does not hold yet (made by `kustos backup
    run`, or whose index job failed)."""
    return search_hooks.enqueue_pending()


@db_periodic_task(crontab(minute="*/10"))
def enqueue_pending_ocr() -> int:
    """Every 10 minutes: start the OCR job of customers whose scanned attachments wait without one."""
    return ocr_queue.enqueue_pending()


@db_periodic_task(crontab(minute="*"))
def reap_stale_jobs() -> int:
    """Every minute: fail (or retry) running jobs whose process stopped beating (killed, machine lost)."""
    return len(reaper.reap(runtime.settings().job_heartbeat_timeout))


@db_periodic_task(crontab(minute="7"))
def check_silent_sources() -> int:
    return alerts.check_silent()


@db_periodic_task(crontab(minute="23"))
def seal_ledgers() -> int:
    """Hourly: seal every customer's pending ledger entries that are due by age (RFC 3161 timestamp)."""
    sealed = 0
    for customer_id in Customer.objects.filter(status=Customer.Status.ACTIVE).values_list("id", flat=True):
        if runtime.store_for(customer_id).ledger.seal(force=False):
            sealed += 1
    return sealed


@db_periodic_task(crontab(minute="*/10"))
def purge_expired_exports() -> int:
    """Every 10 minutes: delete export files older than the export lifetime (left by a crash)."""
    return export_files.purge_expired(runtime.settings().export_lifetime)


@HUEY.on_startup()
def purge_exports_at_start() -> None:
    """Worker start (serve, worker, scheduler): the same purge, so nothing waits for the timer."""
    export_files.purge_expired(runtime.settings().export_lifetime)


@HUEY.on_startup()
def reap_stale_jobs_at_start() -> None:
    """Worker start: jobs left running by a killed worker are reaped without waiting for the scheduler."""
    reaper.reap(runtime.settings().job_heartbeat_timeout)
