"""Job handler of ``archive.search_rebuild`` (a customer's search index built again after an
upgrade changed the analysis): thin, calls the service. Loaded by name from ``jobs/handlers.py``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kustos.archive.services import search_rebuild
from kustos.jobs.models import Job
from kustos.jobs.services import PermanentJobError
from kustos.tenants.models import Customer


def rebuild_run(job: Job, progress: Callable[..., None]) -> dict[str, Any]:
    customer = Customer.objects.filter(id=job.customer_id).first()
    if customer is None:
        raise PermanentJobError("the customer no longer exists")
    done = 0

    def step(count: int) -> None:
        nonlocal done
        done += count
        progress(done, None, f"{done} messages indexed")

    return search_rebuild.rebuild(customer, actor="system", progress=step)
