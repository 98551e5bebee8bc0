"""Backup and restore jobs run to the end inside a test (the platforms' integration tests share these)."""

from __future__ import annotations

from typing import Any

from kustos.backup.models import BackupSnapshot
from kustos.backup.services import plans, restore
from kustos.jobs.models import Job
from kustos.jobs.tasks import execute


def backup_result(plan: Any) -> dict[str, Any]:
    """Run the plan's backup as a job; its result (``snapshot``, ``items``, ``failed``, ...)."""
    job = plans.run_now(plan, actor="test")
    execute(job.id)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, job.error
    return dict(job.result)


def backup(plan: Any) -> BackupSnapshot:
    """Run the plan's backup as a job; the snapshot it made (no item may have failed)."""
    result = backup_result(plan)
    assert not result["failed"], result
    return BackupSnapshot.objects.get(id=result["snapshot"])


def do_restore(snap: BackupSnapshot, **options: Any) -> dict[str, Any]:
    """Run a restore of ``snap`` as a job; its report."""
    job = restore.request(snap, actor="test", **options)
    execute(job.id)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, job.error
    return dict(job.result)
