"""Job handlers of the archive (``source.run``, ``archive.import``): thin, they call the services.

Loaded by name from ``jobs/handlers.py`` only when such a job runs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from kustos.archive.models import Source
from kustos.archive.services import imports
from kustos.archive.services import sources as archive_sources
from kustos.jobs.models import Job
from kustos.jobs.services import PermanentJobError
from kustos.tenants.models import Customer


def source_run(job: Job, progress: Callable[..., None]) -> dict[str, Any]:
    source = Source.objects.select_related("customer").filter(id=job.params.get("source")).first()
    if source is None:
        raise PermanentJobError("the source was removed")
    return archive_sources.run(source, progress)


def archive_import(job: Job, progress: Callable[..., None]) -> dict[str, Any]:
    customer = Customer.objects.filter(id=job.customer_id).first()
    if customer is None:
        raise PermanentJobError("the customer no longer exists")
    paths = [Path(p) for p in job.params["paths"]]
    result = imports.import_reporting(customer, job.params["mailbox"], paths, progress, actor=job.created_by)
    if job.params.get("delete_after"):
        for path in paths:
            path.unlink(missing_ok=True)
    return result.as_dict()
