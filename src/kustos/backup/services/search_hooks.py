"""What a backup run and retention do for search: queue the ``backup.index`` job after a snapshot and
drop versions in no remaining snapshot after forget. Light on purpose: a run must not load the mail
parser and the extractors (``search_index`` does, in the index job)."""

from __future__ import annotations

import bisect
import logging
from datetime import datetime

from django.db.models import Max

from kustos.archive import index_admin
from kustos.backup.models import BackupItemVersion, BackupPlan, BackupSearchState
from kustos.backup.searchkey import partition
from kustos.core import runtime
from kustos.jobs import services as jobs
from kustos.jobs.models import Job
from kustos.search import IndexOutdated

log = logging.getLogger("kustos.backup")

JOB = "backup.index"


def enqueue(plan: BackupPlan) -> None:
    """Start indexing the plan's new snapshot(s) as a job for the workers; never fails the caller (the run).

    A `kustos` command runs its jobs inline: indexing there would hold up `kustos backup run` until
    every new item's text is extracted, so it is left to the scheduler (``enqueue_pending``, every 10
    minutes), the next index job, `kustos backup index` or `kustos backup search` (which catch up on every
    snapshot not indexed yet)."""
    if jobs.inline:
        return
    try:
        jobs.create(JOB, customer=plan.customer, params={"plan": plan.id}, created_by="system", max_attempts=3)
    except Exception:  # noqa: BLE001 - the snapshot is committed; indexing catches up with the next one
        log.exception("could not start indexing the backup of plan %s", plan.id)


def enqueue_pending() -> int:
    """Queue an index job for every plan with snapshots newer than what its index holds and no index job
    queued or running (snapshots of `kustos backup run`, or of a run whose index job failed for good)."""
    busy = set(Job.objects.filter(kind=JOB, state__in=["queued", "running", "retrying"])
               .values_list("params__plan", flat=True))
    latest = dict(BackupPlan.objects.annotate(latest=Max("snapshots__time")).filter(latest__isnull=False)
                  .values_list("id", "latest"))
    indexed = dict(BackupSearchState.objects.values_list("plan_id", "time"))
    started = 0
    for plan in BackupPlan.objects.select_related("customer").filter(id__in=list(latest)).exclude(id__in=busy):
        done = indexed.get(plan.id)
        if done is None or latest[plan.id] > done:
            jobs.create(JOB, customer=plan.customer, params={"plan": plan.id}, created_by="scheduler",
                        max_attempts=3)
            started += 1
    return started


def forget_unreferenced(plan: BackupPlan) -> int:
    """Delete the versions (rows and documents) that are in no remaining snapshot of the plan."""
    times = sorted(plan.snapshots.values_list("time", flat=True))
    dead = [vid for vid, first, gone in plan.item_versions.values_list("id", "first_time", "gone_time")
            if not in_any(times, first, gone)]
    if not dead:
        return 0
    index = runtime.search_index()
    try:
        index.delete(partition(plan.customer_id), dead)
        index.commit()
    except IndexOutdated:
        reset_outdated(plan.customer_id)  # every version goes, and is indexed again from the snapshots kept
        return len(dead)
    for start in range(0, len(dead), 500):
        BackupItemVersion.objects.filter(id__in=dead[start:start + 500]).delete()
    return len(dead)


def in_any(times: list[datetime], first: datetime, gone: datetime | None) -> bool:
    """Whether a snapshot time t with first <= t < gone (gone None: no end) is in the sorted ``times``."""
    i = bisect.bisect_left(times, first)
    return i < len(times) and (gone is None or times[i] < gone)


def reset_outdated(customer_id: str) -> int:
    """The customer's backup documents were written by an older analysis (an upgrade): drop them,
    forget what was indexed, and queue every plan's index job to index its snapshots again (the
    scheduler's ``enqueue_pending`` does it when a `kustos` command runs jobs inline). Returns the
    number of plans."""
    index_admin.drop(runtime.search_index(), partition(customer_id))
    plans = list(BackupPlan.objects.filter(customer_id=customer_id).select_related("customer"))
    BackupItemVersion.objects.filter(plan__in=plans).delete()
    BackupSearchState.objects.filter(plan__in=plans).update(snapshot="", time=None)
    log.info("backup search documents of customer %s were of an older analysis: indexing %d plans again",
             customer_id, len(plans))
    for plan in plans:
        enqueue(plan)
    return len(plans)
