"""Job handler of the tenants app (``customer.delete``); loaded by name when such a job runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kustos.jobs.models import Job
from kustos.tenants.services import customers


def customer_delete(job: Job, progress: Callable[..., None]) -> dict[str, Any]:
    record = customers.wipe(job.customer_id, requested_by=job.created_by, progress=progress)
    return {"deletion_record": record.id, "deleted_at": record.deleted_at.isoformat()}
