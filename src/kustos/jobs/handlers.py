"""Job kind → handler. A handler takes (job, progress) and returns a JSON-able result dict.

Handlers are thin: they call the service that owns the work.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from kustos.archive.models import Source
from kustos.archive.services import imports
from kustos.archive.services import sources as archive_sources
from kustos.backup import jobs as backup_jobs
from kustos.jobs.models import Job
from kustos.jobs.services import PermanentJobError
from kustos.tenants.models import Customer
from kustos.tenants.services import customers


def _customer_delete(job: Job, progress: Callable[..., None]) -> dict[str, Any]:
    record = customers.wipe(job.customer_id, requested_by=job.created_by, progress=progress)
    return {"deletion_record": record.id, "deleted_at": record.deleted_at.isoformat()}


def _source_run(job: Job, progress: Callable[..., None]) -> dict[str, Any]:
    source = Source.objects.select_related("customer").filter(id=job.params.get("source")).first()
    if source is None:
        raise PermanentJobError("the source was removed")
    return archive_sources.run(source, progress)


def _archive_import(job: Job, progress: Callable[..., None]) -> dict[str, Any]:
    customer = Customer.objects.filter(id=job.customer_id).first()
    if customer is None:
        raise PermanentJobError("the customer no longer exists")
    paths = [Path(p) for p in job.params["paths"]]
    total = imports.estimate(paths)
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        progress(done, total, f"{done} items")

    result = imports.import_paths(customer, job.params["mailbox"], paths, actor=job.created_by, progress=advance)
    if job.params.get("delete_after"):
        for path in paths:
            path.unlink(missing_ok=True)
    return result.as_dict()


HANDLERS: dict[str, Callable[[Job, Callable[..., None]], dict[str, Any]]] = {
    "customer.delete": _customer_delete,
    "source.run": _source_run,
    "archive.import": _archive_import,
    "backup.run": backup_jobs.run,
    "backup.restore": backup_jobs.restore_run,
}
