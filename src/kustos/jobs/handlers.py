"""Job kind → handler. A handler takes (job, progress) and returns a JSON-able result dict.

Handlers are thin: they call the service that owns the work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kustos.jobs.models import Job
from kustos.tenants.services import customers


class PermanentJobError(Exception):
    """A failure that retrying cannot fix (the job fails at once)."""


def _customer_delete(job: Job, progress: Callable[..., None]) -> dict[str, Any]:
    record = customers.wipe(job.customer_id, requested_by=job.created_by, progress=progress)
    return {"deletion_record": record.id, "deleted_at": record.deleted_at.isoformat()}


HANDLERS: dict[str, Callable[[Job, Callable[..., None]], dict[str, Any]]] = {
    "customer.delete": _customer_delete,
}
