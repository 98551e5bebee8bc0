"""The job handler of ``backup.index`` (registered in ``jobs/handlers.py``): index a plan's snapshots for
full-text search. A module of its own so that the run's handlers (``backup/jobs.py``) do not load the
mail parser and the extractors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kustos.backup.models import BackupPlan
from kustos.backup.services import search_index
from kustos.jobs.models import Job
from kustos.jobs.services import PermanentJobError


def index_run(job: Job, progress: Callable[..., None]) -> dict[str, Any]:
    """Index the plan's snapshots not indexed yet (every one newer than the last indexed)."""
    plan = BackupPlan.objects.select_related("customer").filter(id=job.params.get("plan")).first()
    if plan is None:
        raise PermanentJobError("the backup plan was removed")
    return search_index.catch_up(plan, progress)
