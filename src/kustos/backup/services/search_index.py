"""Indexing backup snapshots for full-text search, one document per item VERSION.

After a run has recorded its snapshot, ``enqueue`` starts a ``backup.index`` job; ``catch_up`` then
takes every snapshot of the plan newer than the last indexed one, in time order, and compares it
with the last indexed snapshot (only subtrees whose ids differ are read): an item that is new or
whose content object changed gets a new version (its text read from the vault, streamed, at most
``TEXT_CAP`` bytes; larger items are indexed by name only) and closes the version it replaces; a
removed item closes its version. When the last indexed snapshot is gone (retention), the new one is
compared with the versions the database holds as current. Every step is idempotent: version ids
are derived from plan, account, path and first snapshot, documents are upserts, and a version is
closed only once. After retention, ``forget_unreferenced`` deletes versions (rows and documents)
that are in no remaining snapshot.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from kustos.backup import searchdoc
from kustos.backup.models import BackupItemVersion, BackupPlan, BackupSearchState, BackupSnapshot
from kustos.backup.services import search_hooks
from kustos.core import runtime
from kustos.search import IndexOutdated, SearchIndex
from kustos.vault.errors import NotFound
from kustos.vault.snaptree import SnapEntry

log = logging.getLogger("kustos.backup")

#: Items larger than this are indexed by name only (their content is not read).
TEXT_CAP = 50 * 1024 * 1024
BATCH = 200


def catch_up_plans(plans: Iterable[BackupPlan]) -> dict[str, Any]:
    """``catch_up`` for each plan with snapshots not indexed yet; summed counts."""
    totals = {"snapshots": 0, "versions": 0, "closed": 0}
    for plan in plans:
        if pending([plan]):
            for key, value in catch_up(plan).items():
                totals[key] += value
    return totals


def pending(plans: Iterable[BackupPlan]) -> int:
    """Snapshots of these plans not indexed yet."""
    count = 0
    for plan in plans:
        state = BackupSearchState.objects.filter(plan=plan).first()
        snaps = plan.snapshots.all()
        if state is not None and state.time is not None:
            snaps = snaps.filter(time__gt=state.time)
        count += snaps.count()
    return count


@dataclass
class _Change:
    account: str
    path: str
    entry: SnapEntry | None  # None: removed


def catch_up(plan: BackupPlan, progress: Callable[..., None] | None = None) -> dict[str, Any]:
    """Index every snapshot of the plan newer than the last indexed one; returns counts. Documents of
    an older analysis (an upgrade) are dropped first and the plan is indexed from its first snapshot."""
    try:
        return _catch_up(plan, progress)
    except IndexOutdated:
        search_hooks.reset_outdated(plan.customer_id)
        return _catch_up(plan, progress)


def _catch_up(plan: BackupPlan, progress: Callable[..., None] | None = None) -> dict[str, Any]:
    state, _ = BackupSearchState.objects.get_or_create(plan=plan)
    snaps = plan.snapshots.order_by("time")
    if state.time is not None:
        snaps = snaps.filter(time__gt=state.time)
    store = runtime.store_for(plan.customer_id)
    index = runtime.search_index()
    totals = {"snapshots": 0, "versions": 0, "closed": 0}
    base = state.snapshot or None
    for snap in list(snaps):
        if base is not None and not BackupSnapshot.objects.filter(id=base).exists():
            base = None  # forgotten by retention: compare with the versions the database holds
        added, closed = _index_snapshot(plan, store, index, base, snap)
        totals["snapshots"] += 1
        totals["versions"] += added
        totals["closed"] += closed
        BackupSearchState.objects.filter(plan=plan).filter(Q(time__isnull=True) | Q(time__lt=snap.time)).update(
            snapshot=snap.id, time=snap.time)
        base = snap.id
        if progress:
            progress(totals["snapshots"], None, f"snapshot {snap.id}: {added} new versions")
    return totals


def _changes(store: Any, base: str | None, snap: BackupSnapshot) -> Iterator[_Change]:
    snaps = store.snapshots
    if base is None:
        for row in snaps.ls(snap.id):
            for path, entry in snaps.walk(snap.id, row["account"]):
                yield _Change(row["account"], path, entry)
        return
    diff = snaps.diff(base, snap.id)
    for key in [*diff["added"], *diff["changed"]]:
        account, _, path = key.partition("/")
        if path:
            yield _Change(account, path, snaps.lookup(snap.id, account, path))
    for key in diff["removed"]:
        account, _, path = key.partition("/")
        if path:
            yield _Change(account, path, None)


def _index_snapshot(plan: BackupPlan, store: Any, index: SearchIndex, base: str | None,
                    snap: BackupSnapshot) -> tuple[int, int]:
    added = closed = 0
    seen: set[tuple[str, str]] = set()
    batch: list[_Change] = []
    for change in _changes(store, base, snap):
        seen.add((change.account, change.path))
        batch.append(change)
        if len(batch) >= BATCH:
            a, c = _apply(plan, store, index, snap, batch)
            added, closed, batch = added + a, closed + c, []
    if batch:
        a, c = _apply(plan, store, index, snap, batch)
        added, closed = added + a, closed + c
    if base is None:  # a full comparison: what the database holds as current but the snapshot lacks is gone
        stale = [v.id for v in _open(plan, snap).only("id", "account", "path") if (v.account, v.path) not in seen]
        for start in range(0, len(stale), 500):
            closed += BackupItemVersion.objects.filter(id__in=stale[start:start + 500]).update(
                gone_snapshot=snap.id, gone_time=snap.time)
    return added, closed


def _open(plan: BackupPlan, snap: BackupSnapshot) -> Any:
    """Versions current just before ``snap`` (first seen earlier, not gone)."""
    return BackupItemVersion.objects.filter(plan=plan, gone_time__isnull=True, first_time__lt=snap.time)


def _apply(plan: BackupPlan, store: Any, index: SearchIndex, snap: BackupSnapshot,
           changes: list[_Change]) -> tuple[int, int]:
    paths = {c.path for c in changes}
    current: dict[tuple[str, str], BackupItemVersion] = {
        (v.account, v.path): v for v in _open(plan, snap).filter(path__in=paths)}
    wanted: dict[str, tuple[_Change, SnapEntry]] = {}
    to_close: list[str] = []
    for change in changes:
        old = current.get((change.account, change.path))
        entry = change.entry
        if entry is not None and (entry.kind == "folder" or not entry.id):
            entry = None  # no content, no version (a folder that replaced an item closes the item's version)
        if entry is None and old is None:
            continue
        if entry is not None and old is not None and old.content_id == entry.id:
            continue  # metadata only (a new sharing link, a moved eTag): the same version
        if old is not None:
            to_close.append(old.id)
        if entry is not None:
            wanted[searchdoc.version_id(plan.id, change.account, change.path, snap.id)] = (change, entry)
    done = set(BackupItemVersion.objects.filter(id__in=list(wanted)).values_list("id", flat=True))
    rows, docs = [], []
    for vid, (change, entry) in wanted.items():
        if vid in done:
            continue  # indexed by an earlier attempt at this snapshot
        text = _text(store, change.path, entry)
        rows.append(BackupItemVersion(
            id=vid, plan=plan, account=change.account, path=change.path, kind=entry.kind, size=entry.size,
            sha256=entry.sha256, content_id=entry.id or "", modified=entry.modified[:64], first_snapshot=snap.id,
            first_time=snap.time, text_skipped=text.skipped[:200]))
        docs.append(searchdoc.document(
            doc_id=vid, customer_id=plan.customer_id, account=change.account, path=change.path, size=entry.size,
            sha256=entry.sha256, modified=entry.modified, first_time=snap.time, text=text))
    # Index first, then the rows: a crash in between re-indexes (upsert) on the next attempt.
    if docs:
        index.add(docs)
        index.commit()
    BackupItemVersion.objects.bulk_create(rows, ignore_conflicts=True)
    closed = BackupItemVersion.objects.filter(id__in=to_close, gone_time__isnull=True).update(
        gone_snapshot=snap.id, gone_time=snap.time) if to_close else 0
    return len(rows), closed


def _text(store: Any, path: str, entry: SnapEntry) -> searchdoc.ItemText:
    name = path.rsplit("/", 1)[-1]
    if entry.size > TEXT_CAP:
        text = searchdoc.item_text(entry.kind, name, None)
        text.skipped = f"larger than {TEXT_CAP} bytes: name only"
        return text
    try:
        with store.open(entry.id) as stream:
            data = searchdoc.read_bounded(stream, entry.size, TEXT_CAP)
    except (NotFound, OSError) as exc:
        text = searchdoc.item_text(entry.kind, name, None)
        text.skipped = f"content unreadable: {type(exc).__name__}"
        return text
    return searchdoc.item_text(entry.kind, name, data)


def rebuild(plan: BackupPlan, progress: Callable[..., None] | None = None) -> dict[str, Any]:
    """Drop the plan's versions (rows and documents) and index its remaining snapshots again."""
    ids = list(plan.item_versions.values_list("id", flat=True))
    if ids:
        index = runtime.search_index()
        try:
            index.delete(searchdoc.partition(plan.customer_id), ids)
            index.commit()
        except IndexOutdated:  # an older analysis: every plan of the customer is indexed again
            search_hooks.reset_outdated(plan.customer_id)
    plan.item_versions.all().delete()
    BackupSearchState.objects.filter(plan=plan).update(snapshot="", time=None)
    return catch_up(plan, progress)
