"""Rebuilding a customer's archive search index (after an analysis/schema version change).

After an upgrade that changes the analysis, an old index answers nothing (``IndexOutdated``).
The first search or ingest that meets it starts the rebuild as a job by itself
(:func:`ensure_started`); ``kustos index rebuild`` does the same in the foreground.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from kustos.archive.services import recover
from kustos.audit import services as audit
from kustos.core import runtime
from kustos.jobs import services as jobs
from kustos.jobs.models import Job
from kustos.tenants.models import Customer

JOB_KIND = "archive.search_rebuild"
_OPEN = (Job.State.QUEUED, Job.State.RUNNING, Job.State.RETRYING)


def rebuild(customer: Customer, actor: Any, progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Drop the customer's search index and index every archived message again (audited).
    While it runs the index is marked as being rebuilt: searches of the customer say so
    (IndexRebuilding) instead of answering from part of the archive."""
    started = time.monotonic()
    with runtime.search_index().rebuilding(customer.id, timezone.now().isoformat(timespec="seconds")):
        indexed = recover.rebuild_index(customer, progress)
    result = {"customer": customer.id, "indexed": indexed, "seconds": round(time.monotonic() - started, 1)}
    audit.record("archive.search_index.rebuild", actor=actor, customer=customer, target=customer.id,
                 detail={"indexed": indexed})
    return result


def open_job(customer: Customer) -> Job | None:
    return Job.objects.filter(customer_id=customer.id, kind=JOB_KIND, state__in=_OPEN).first()


def ensure_started(customer: Customer) -> Job | None:
    """Queue the customer's rebuild unless one is queued or running. Not in a `kustos` command that
    runs its jobs inline (the rebuild would run inside a search): there the message names
    `kustos index rebuild`, and the next worker-side search or ingest starts it."""
    if jobs.inline:
        return None
    return open_job(customer) or jobs.create(JOB_KIND, customer=customer, created_by="system")
