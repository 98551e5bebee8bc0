"""One backup run: drive the kind's backup connector into a vault snapshot (``backup/sink.py``),
record the snapshot row and the accounts, and only then let the run loop commit the cursors."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from kustos.backup.models import BackupAccount, BackupPlan, BackupSnapshot
from kustos.backup.services import alerts, search_hooks, timeline
from kustos.backup.services.plans import kind_for
from kustos.backup.sink import VaultBackupSink, account_of
from kustos.core import runtime
from kustos.core.egress import egress_policy
from kustos.core.secrets import open_secret
from kustos.notify.services import events
from kustos.sources import runloop
from kustos.sources.base import Connector, Cursor, Scope

log = logging.getLogger("kustos.backup")


class PlanCursors:
    """The backup cursors of a plan (apart from the archive's cursors of the same source)."""

    def __init__(self, plan: BackupPlan) -> None:
        self.plan = plan

    def get(self, scope_id: str) -> Cursor | None:
        return self.plan.cursors.get(scope_id)

    def commit(self, scope_id: str, cursor: Cursor) -> None:
        self.plan.cursors = {**self.plan.cursors, scope_id: cursor}
        BackupPlan.objects.filter(id=self.plan.id).update(cursors=self.plan.cursors)


def connector(plan: BackupPlan) -> Connector:
    source = plan.source
    kind = kind_for(source)
    return kind.build_backup(source.config, open_secret(source.secret, source.id), egress_policy(), plan.services)


def latest(plan: BackupPlan) -> BackupSnapshot | None:
    return plan.snapshots.order_by("-time").first()


def _select(plan: BackupPlan, offered: list[Scope]) -> list[Scope]:
    if plan.all_scopes:
        return offered
    wanted = set(plan.scopes)
    return [s for s in offered if s.id in wanted or s.meta.get("account") in wanted]


def _record(plan: BackupPlan, sink: VaultBackupSink, scopes: list[Scope], sid: str) -> BackupSnapshot:
    store = sink.store
    doc = store.snapshots.doc(sid)
    now = timezone.now()
    time = datetime.fromisoformat(doc["time"])
    changes = timeline.account_changes(store, timeline.base_of(plan, doc.get("parent") or "", time), sid)
    with transaction.atomic():
        snap = BackupSnapshot.objects.create(
            id=sid, plan=plan, parent=doc.get("parent") or "", time=time,
            complete=not sink.failed, items=doc.get("items", 0), bytes=doc.get("bytes", 0),
            new_bytes=doc.get("new_bytes", 0), failed=sink.failed)
        sizes = {row["account"]: row for row in store.snapshots.ls(sid)}
        failed_accounts = {f["account"] for f in sink.failed}
        seen = set()
        for scope in scopes:
            account = account_of(scope)
            seen.add(account)
            row = sizes.get(account, {})
            BackupAccount.objects.update_or_create(plan=plan, scope_id=account, defaults={
                "name": scope.name or scope.id, "kind": scope.kind, "departed_at": None, "last_snapshot": sid,
                "last_status": "failed" if account in failed_accounts else "ok",
                "items": row.get("items", 0), "bytes": row.get("bytes", 0)})
        # Accounts no longer offered by the source: their data stays in the snapshot, marked departed.
        BackupAccount.objects.filter(plan=plan, departed_at__isnull=True).exclude(scope_id__in=seen).update(
            departed_at=now)
        timeline.record(plan, snap, sizes, seen, sink.failed, changes)
        BackupPlan.objects.filter(id=plan.id).update(last_success_at=now, last_error="")
    return snap


def run(plan: BackupPlan, progress: Callable[..., None] | None = None) -> dict[str, Any]:
    """Back the plan's scopes up into one snapshot; returns snapshot, items, new_bytes, failed."""
    plan.last_run_at = timezone.now()
    BackupPlan.objects.filter(id=plan.id).update(last_run_at=plan.last_run_at)
    store = runtime.store_for(plan.customer_id)
    parent = latest(plan)
    try:
        conn = connector(plan)
        scopes = _select(plan, list(conn.scopes()))
    except Exception as exc:
        _failed(plan, exc)
        raise
    recorded: list[BackupSnapshot] = []
    sink = VaultBackupSink(store, parent.id if parent else None, {"plan": plan.id, "source": plan.source_id},
                           on_commit=lambda sid: recorded.append(_record(plan, sink, scopes, sid)))

    def report(fetched: int, scope: Scope) -> None:
        if progress:
            progress(fetched, None, f"{scope.name or scope.id}: {fetched} fetched")

    try:
        runloop.drive(conn, PlanCursors(plan), sink, scopes=scopes, progress=report)
    except Exception as exc:
        if sink.snapshot is None:
            sink.abort(f"{type(exc).__name__}")
        _failed(plan, exc)
        raise
    finally:
        close = getattr(conn, "close", None)
        if close is not None:
            close()
    snap = recorded[0]
    try:
        alerts.check(plan, snap, store)
    except Exception:  # noqa: BLE001 - the snapshot is committed; a failed check must not fail the run
        log.exception("anomaly check of backup snapshot %s failed", snap.id)
    search_hooks.enqueue(plan)  # full-text indexing of the new snapshot runs as its own job
    return {"snapshot": snap.id, "items": snap.items, "bytes": snap.bytes, "new_bytes": snap.new_bytes,
            "stored": sink.counts["stored"], "unchanged": sink.counts["unchanged"],
            "removed": sink.counts["removed"], "complete": snap.complete, "failed": snap.failed}


def _failed(plan: BackupPlan, exc: BaseException) -> None:
    first = not BackupPlan.objects.filter(id=plan.id).exclude(last_error="").exists()  # since the last success
    BackupPlan.objects.filter(id=plan.id).update(last_error=f"{type(exc).__name__}: {exc}"[:2000])
    if not first:
        return
    customer = plan.customer
    events.emit("backup.failing", partner=customer.partner_id, customer=customer, default_mail=False,
                title=f"backup of {plan.source.name} of {customer.name} failed",
                detail={"source": plan.source_id, "plan": plan.id, "error": f"{type(exc).__name__}: {exc}"[:300]})
