"""Evidence work in the background: the daily check of the time-stamp certificates (requirement 20,
a huey periodic task registered by importing this module in ``cli/server.py``) and the
``vault.verify`` job ("Verify now" of a large archive, requirement 5; named in ``jobs/handlers.py``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from kustos.archive.services import evidence_renewal, verify_archive
from kustos.jobs.models import Job
from kustos.jobs.services import PermanentJobError
from kustos.tenants.models import Customer


@db_periodic_task(crontab(minute="53", hour="4"))
def daily_evidence_check() -> int:
    """Daily, 04:53: warn operators about TSA certificates expiring soon; renew when configured."""
    return len(evidence_renewal.daily_check()["warnings"])


def verify_run(job: Job, progress: Callable[..., None]) -> dict[str, Any]:
    customer = Customer.objects.filter(id=job.customer_id).first()
    if customer is None:
        raise PermanentJobError("the customer no longer exists")
    done = [0]

    def advance(n: int) -> None:
        done[0] += n
        progress(done[0], None, f"{done[0]} objects verified")

    return verify_archive.run(customer, actor=job.created_by or "system", progress=advance)
