"""The job handler of a seeding (registered in ``jobs/handlers.py``): ``backup.services.seed.run``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kustos.backup.models import BackupSnapshot
from kustos.backup.services import seed
from kustos.jobs.models import Job
from kustos.jobs.services import PermanentJobError


def seed_run(job: Job, progress: Callable[..., None]) -> dict[str, Any]:
    snap = BackupSnapshot.objects.select_related("plan", "plan__customer", "plan__source").filter(
        id=job.params.get("snapshot")).first()
    if snap is None:
        raise PermanentJobError("the backup snapshot was removed")
    return seed.run(snap, job.params, progress)
