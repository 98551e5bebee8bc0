"""The installation's health for the operator: queue depth, pending and failing jobs, workers alive
(job heartbeats), disk usage of KUSTOS_HOME's filesystem and vault usage per storage location (the
numbers the vault index tracks; no backend scan). Values are passed in, never read from settings."""

from __future__ import annotations

import shutil
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.db.models import Count, Min, Q
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from kustos.core import runtime
from kustos.jobs.models import Job
from kustos.tenants.models import Customer, StorageLocation

FAILED_WINDOW = timedelta(hours=24)
PENDING = (Job.State.QUEUED, Job.State.RETRYING)


def queue_depth() -> int | None:
    """Tasks waiting in huey's queue (None when the queue cannot be reached)."""
    try:
        return int(HUEY.pending_count())
    except Exception:  # noqa: BLE001 - an unreachable queue is a finding, not a crash of the page
        return None


def _jobs(now: datetime, heartbeat_timeout: int) -> dict[str, Any]:
    since = now - FAILED_WINDOW
    counts = Job.objects.aggregate(
        pending=Count("id", filter=Q(state__in=PENDING)),
        running=Count("id", filter=Q(state=Job.State.RUNNING)),
        failed_24h=Count("id", filter=Q(state=Job.State.FAILED, finished_at__gte=since)),
        oldest_pending=Min("created_at", filter=Q(state__in=PENDING)),
    )
    oldest = counts.pop("oldest_pending")
    failed = [{"id": j.id, "kind": j.kind, "customer": j.customer_name, "error": (j.error or "").splitlines()[0][:200]
               if j.error else "", "finished_at": j.finished_at.isoformat() if j.finished_at else None}
              for j in Job.objects.filter(state=Job.State.FAILED, finished_at__gte=since).order_by("-finished_at")[:10]]
    alive_after = now - timedelta(seconds=heartbeat_timeout)
    alive, stale = set(), 0
    for worker, beat in Job.objects.filter(state=Job.State.RUNNING).values_list("worker", "heartbeat_at"):
        if beat is not None and beat >= alive_after:
            alive.add(worker.split("/")[0])  # host:pid — one worker process, whatever the thread
        else:
            stale += 1
    return {**counts, "oldest_pending_age_seconds": int((now - oldest).total_seconds()) if oldest else None,
            "oldest_pending_at": oldest.isoformat() if oldest else None, "failed_recent": failed,
            "workers_alive": len(alive), "workers": sorted(alive), "stale_running": stale}


def disk(home: Path) -> dict[str, Any]:
    usage = shutil.disk_usage(home)
    return {"path": str(home), "total_bytes": usage.total, "used_bytes": usage.used, "free_bytes": usage.free,
            "used_percent": round(100 * usage.used / usage.total, 1) if usage.total else 0.0}


def vaults() -> list[dict[str, Any]]:
    """Per storage location: its customers and the usage of its vault (locations sharing one vault
    share its numbers; the vault's own stats come from its index)."""
    customers = dict(Customer.objects.values_list("location_id").annotate(n=Count("id")).order_by())
    by_url: dict[str, list[StorageLocation]] = defaultdict(list)
    for loc in StorageLocation.objects.all():
        by_url[(loc.vault_url or "").strip()].append(loc)
    out = []
    for url, locations in sorted(by_url.items()):
        try:
            stats, error = runtime.vault_at(url).stats(), ""
        except Exception as exc:  # noqa: BLE001 - a vault that cannot be opened is reported, not raised
            stats, error = {}, f"{type(exc).__name__}: {exc}"[:200]
        out.append({"locations": [loc.id for loc in locations], "names": [loc.name for loc in locations],
                    "default_vault": not url, "customers": sum(customers.get(loc.id, 0) for loc in locations),
                    "stored_bytes": stats.get("stored_bytes"), "raw_bytes": stats.get("raw_bytes"),
                    "objects": stats.get("objects"), "packs": stats.get("packs"), "error": error})
    return out


def snapshot(*, home: Path, heartbeat_timeout: int, now: datetime | None = None) -> dict[str, Any]:
    """Every number of the installation-health page, the API and `kustos health`."""
    now = now or timezone.now()
    return {"at": now.isoformat(), "queue_depth": queue_depth(), "jobs": _jobs(now, heartbeat_timeout),
            "disk": disk(home), "vaults": vaults()}
