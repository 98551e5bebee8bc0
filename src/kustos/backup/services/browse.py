"""Browsing a plan's snapshots: the list (database rows) and one level of a snapshot tree (vault)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404

from kustos.backup.models import BackupAccount, BackupPlan, BackupSnapshot
from kustos.core import runtime
from kustos.tenants.models import Customer
from kustos.vault.errors import NotFound


def snapshots(plan: BackupPlan) -> list[dict[str, Any]]:
    return [{"id": s.id, "time": s.time, "complete": s.complete, "items": s.items, "bytes": s.bytes,
             "new_bytes": s.new_bytes, "failed": len(s.failed)} for s in plan.snapshots.order_by("-time")]


def snapshot(customer: Customer, snapshot_id: str) -> BackupSnapshot:
    """A snapshot of the customer (404 for any other customer's or an unknown id)."""
    snap = BackupSnapshot.objects.select_related("plan").filter(id=snapshot_id, plan__customer=customer).first()
    if snap is None:
        raise Http404(f"no backup snapshot {snapshot_id!r}")
    return snap


def find(snapshot_id: str) -> BackupSnapshot:
    """A snapshot by id across customers (the CLI, which runs with the installation's authority)."""
    snap = BackupSnapshot.objects.select_related("plan", "plan__customer").filter(id=snapshot_id).first()
    if snap is None:
        raise Http404(f"no backup snapshot {snapshot_id!r}")
    return snap


def ls(snap: BackupSnapshot, account: str | None = None, path: str = "") -> list[dict[str, Any]]:
    """One level of the snapshot: the accounts, or the children of ``account``/``path``."""
    store = runtime.store_for(snap.plan.customer_id)
    try:
        rows = store.snapshots.ls(snap.id, account or None, path or "")
    except NotFound:
        raise Http404(f"{account}/{path} is not in snapshot {snap.id}") from None
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    return [{"account": r["account"], "path": r["path"], "kind": r["kind"], "size": r.get("size", r.get("bytes", 0)),
             "sha256": r.get("sha256", ""), "modified": r.get("modified", ""), "dir": r.get("dir", False),
             "items": r.get("items", 0)} for r in rows]


def overview(customer: Customer) -> list[dict[str, Any]]:
    """Per plan and account: the last snapshot, its status and the protected size."""
    rows = []
    for account in BackupAccount.objects.filter(plan__customer=customer).select_related("plan", "plan__source"):
        rows.append({"plan": account.plan_id, "source": account.plan.source_id, "source_name": account.plan.source.name,
                     "account": account.scope_id, "name": account.name, "kind": account.kind,
                     "last_snapshot": account.last_snapshot,
                     "status": "departed" if account.departed_at else (account.last_status or "pending"),
                     "departed_at": account.departed_at, "items": account.items, "bytes": account.bytes})
    return rows
