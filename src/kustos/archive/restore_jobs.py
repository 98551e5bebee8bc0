"""The job handler of a restore into a mailbox (``archive.restore``, registered in ``jobs/handlers.py``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kustos.archive.services import mailbox_restore
from kustos.jobs.models import Job
from kustos.jobs.services import PermanentJobError
from kustos.tenants.models import Customer


def restore_run(job: Job, progress: Callable[..., None]) -> dict[str, Any]:
    customer = Customer.objects.filter(id=job.customer_id).first()
    if customer is None:
        raise PermanentJobError("the customer was removed")
    return mailbox_restore.run(customer, job.params, progress)
