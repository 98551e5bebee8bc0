"""Periodic work (huey periodic tasks). Each one only enqueues jobs or calls a service."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from kustos.archive.services import alerts
from kustos.archive.services import sources as archive_sources
from kustos.core import runtime
from kustos.tenants.models import Customer


@db_periodic_task(crontab(minute="*"))
def enqueue_due_sources() -> int:
    """Every minute: start a job for every source whose interval (default 15 min) has elapsed."""
    due = archive_sources.due()
    for source in due:
        archive_sources.run_now(source, actor="scheduler")
    return len(due)


@db_periodic_task(crontab(minute="7"))
def check_silent_sources() -> int:
    return alerts.check_silent()


@db_periodic_task(crontab(minute="23"))
def seal_ledgers() -> int:
    """Hourly: seal every customer's pending ledger entries that are due by age (RFC 3161 timestamp)."""
    sealed = 0
    for customer_id in Customer.objects.filter(status=Customer.Status.ACTIVE).values_list("id", flat=True):
        if runtime.vault().store(customer_id).ledger.seal(force=False):
            sealed += 1
    return sealed
