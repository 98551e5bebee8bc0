"""Job handler of ``archive.ocr`` (OCR of scanned attachments after ingest): thin, calls the service.

Loaded by name from ``jobs/handlers.py`` only when such a job runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings

from kustos.archive.services import ocr
from kustos.jobs.models import Job
from kustos.jobs.services import PermanentJobError
from kustos.tenants.models import Customer


def ocr_run(job: Job, progress: Callable[..., None]) -> dict[str, Any]:
    customer = Customer.objects.filter(id=job.customer_id).first()
    if customer is None:
        raise PermanentJobError("the customer no longer exists")
    return ocr.run(customer, ocr.limits_from(settings.KUSTOS), progress)
