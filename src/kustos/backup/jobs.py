"""The job handler of a backup run (registered in ``jobs/handlers.py``) and the due-plan scheduler."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kustos.backup.models import BackupPlan, BackupSnapshot
from kustos.backup.services import plans, restore, retention, runs
from kustos.jobs import services as jobs
from kustos.jobs.models import Job
from kustos.jobs.services import PermanentJobError

RETENTION_JOB = "backup.retention"


def run(job: Job, progress: Callable[..., None]) -> dict[str, Any]:
    plan = BackupPlan.objects.select_related("customer", "source").filter(id=job.params.get("plan")).first()
    if plan is None:
        raise PermanentJobError("the backup plan was removed")
    return runs.run(plan, progress)


def restore_run(job: Job, progress: Callable[..., None]) -> dict[str, Any]:
    snap = BackupSnapshot.objects.select_related("plan", "plan__customer", "plan__source").filter(
        id=job.params.get("snapshot")).first()
    if snap is None:
        raise PermanentJobError("the backup snapshot was removed")
    return restore.run(snap, job.params, progress)


def enqueue_due() -> int:
    """Start a run for every plan that is due (called every minute by the scheduler)."""
    due = plans.due()
    for plan in due:
        plans.run_now(plan, actor="scheduler")
    return len(due)


def retention_run(job: Job, progress: Callable[..., None]) -> dict[str, Any]:
    plan = BackupPlan.objects.select_related("customer").filter(id=job.params.get("plan")).first()
    if plan is None:
        raise PermanentJobError("the backup plan was removed")
    return retention.apply(plan, actor="scheduler")


def enqueue_retention() -> int:
    """Start a retention job for every plan that keeps less than everything (daily)."""
    targets = retention.with_policy()
    for plan in targets:
        jobs.create(RETENTION_JOB, customer=plan.customer, params={"plan": plan.id}, created_by="scheduler",
                    max_attempts=1)
    return len(targets)

