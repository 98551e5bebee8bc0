"""The ``customer.exit_export`` job (named in ``jobs/handlers.py``): a retry after a crash, also
after the heartbeat reaper failed a killed worker's attempt, continues the same directory."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kustos.archive.exit_export import service
from kustos.jobs.models import Job


def exit_export_run(job: Job, progress: Callable[..., None]) -> dict[str, Any]:
    return service.run_job(job, progress)
