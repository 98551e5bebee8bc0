"""Full-text search across a customer's backup snapshots (mail, file names, document text).

The query language, its bounds and the index are the archive's (``kustos.search``); backup items
are in their own partition of the customer's index (``searchdoc.partition``), one document per item
version. Which snapshots hold a version is decided here from the version rows and the remaining
snapshots (``first_time <= snapshot.time < gone_time``), so a snapshot forgotten by retention is never
named and a version in no remaining snapshot is never returned. The index is paged through in steps
of ``limits.MAX_LIMIT`` up to ``limits.MAX_OFFSET`` hits; beyond that ``truncated`` says the total is
a lower bound. Searching needs ``backup.restore`` (it shows item contents, like browsing).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.http import Http404

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.archive.models import Source
from kustos.audit import services as audit
from kustos.backup import searchdoc
from kustos.backup.models import BackupItemVersion, BackupPlan, BackupSnapshot
from kustos.backup.services import search_hooks, search_index
from kustos.core import runtime
from kustos.search import IndexOutdated, IndexRebuilding, InvalidRequest, SearchRequest, limits
from kustos.search.query.parser import parse_query
from kustos.tenants.models import Customer

FIELDS = ("snapshot", "time", "account", "path", "kind", "size", "sha256", "modified", "snippet")


@dataclass
class Page:
    """One page of hits; ``total`` counts every hit found (a lower bound when ``truncated``);
    ``pending`` is the number of snapshots not indexed yet (their new items are not found yet)."""

    total: int
    hits: list[dict[str, Any]] = field(default_factory=list)
    truncated: bool = False
    pending: int = 0


@dataclass
class _Snaps:
    """A plan's remaining snapshots, oldest first."""

    times: list[datetime]
    ids: list[str]

    def holding(self, first: datetime, gone: datetime | None) -> tuple[int, int]:
        """Index range [lo, hi) of the snapshots that hold a version current from first until gone."""
        lo = bisect.bisect_left(self.times, first)
        hi = len(self.times) if gone is None else bisect.bisect_left(self.times, gone)
        return lo, max(lo, hi)


def plans_of(customer: Customer, source_id: str | None) -> list[BackupPlan]:
    """The customer's backup plans (one source's when given; 404 for a source outside the customer)."""
    plans = BackupPlan.objects.filter(customer=customer).select_related("source")
    if source_id:
        if not Source.objects.filter(customer=customer, id=source_id).exists():
            raise Http404(f"no source {source_id} in this customer")
        plans = plans.filter(source_id=source_id)
    return list(plans)


def _snapshot(plans: list[BackupPlan], snapshot_id: str) -> BackupSnapshot:
    snap = BackupSnapshot.objects.filter(id=snapshot_id, plan__in=plans).first()
    if snap is None:
        raise Http404(f"no backup snapshot {snapshot_id} in this customer")
    return snap


def run(customer: Customer, query: str, *, source: str | None = None, snapshot: str | None = None,
        limit: int = 20, offset: int = 0) -> Page:
    """Search the customer's backups (every version, or only those in ``snapshot``), newest first."""
    query = query.strip()
    if not query:
        raise InvalidRequest("the search query is empty: give words to search for")
    problem = limits.check_paging(limit, offset)
    if problem is not None:
        raise InvalidRequest(problem)
    parse_query(query)  # a malformed query is refused even when there is nothing to search yet
    plans = plans_of(customer, source)
    snap = _snapshot(plans, snapshot) if snapshot else None
    if snap is not None:
        plans = [p for p in plans if p.id == snap.plan_id]
    if not plans:
        return Page(total=0)
    snaps: dict[str, _Snaps] = {}
    for plan in plans:
        rows = list(plan.snapshots.order_by("time").values_list("time", "id"))
        snaps[plan.id] = _Snaps([t for t, _ in rows], [i for _, i in rows])
    matched: list[dict[str, Any]] = []
    index = runtime.search_index()
    scanned, truncated = 0, False
    while True:
        request = SearchRequest(query=query, customer=searchdoc.partition(customer.id), sort="date",
                                limit=limits.MAX_LIMIT, offset=scanned)
        try:
            result = index.search(request)
        except IndexRebuilding:
            raise
        except IndexOutdated:  # written by an older analysis: indexed again, `pending` says how far
            search_hooks.reset_outdated(customer.id)
            result = index.search(request)
        matched.extend(_rows(result.hits, snaps, snap))
        scanned += len(result.hits)
        if not result.hits or scanned >= result.total:
            break
        if scanned > limits.MAX_OFFSET:
            truncated = True
            break
    return Page(total=len(matched), hits=matched[offset:offset + limit], truncated=truncated,
                pending=search_index.pending(plans))


def _rows(hits: list[Any], snaps: dict[str, _Snaps], only: BackupSnapshot | None) -> list[dict[str, Any]]:
    versions = {v.id: v for v in BackupItemVersion.objects.filter(id__in=[h.id for h in hits], plan_id__in=list(snaps))
                .select_related("plan")}
    out = []
    for hit in hits:
        v = versions.get(hit.id)
        if v is None:
            continue
        if only is not None:
            if v.plan_id != only.plan_id or not (v.first_time <= only.time and (v.gone_time is None
                                                                                or only.time < v.gone_time)):
                continue
            latest_id, latest_time, first_time, count = only.id, only.time, only.time, 1
        else:
            plan_snaps = snaps[v.plan_id]
            lo, hi = plan_snaps.holding(v.first_time, v.gone_time)
            if lo == hi:
                continue  # in no remaining snapshot (forgotten by retention)
            latest_id, latest_time = plan_snaps.ids[hi - 1], plan_snaps.times[hi - 1]
            first_time, count = plan_snaps.times[lo], hi - lo
        out.append({
            "snapshot": latest_id, "time": latest_time.isoformat(), "account": v.account, "path": v.path,
            "kind": v.kind, "size": v.size, "sha256": v.sha256, "modified": v.modified, "snippet": hit.snippet,
            "source": v.plan.source_id, "version": v.id, "first_time": first_time.isoformat(), "snapshots": count,
            "current": v.gone_time is None, "subject": hit.subject,
        })
    return out


def search_as(user: Any, customer_id: str, query: str, **kwargs: Any) -> Page:
    """Search as ``user``: the customer must be in the user's scope with ``backup.restore``; audited."""
    customer = access.get_customer(user, customer_id, Perm.BACKUP_RESTORE)
    page = run(customer, query, **kwargs)
    audit.record("backup.search", actor=user, customer=customer,
                 detail={"query": query[:500], "total": page.total, "snapshot": kwargs.get("snapshot") or ""})
    return page
