"""One item of a snapshot in detail: what the platform said about it (owners, permissions, sharing,
collaborations, properties, revisions, ...: the item's metadata as backed up) and its versions across
the plan's snapshots (which snapshot holds which version), so a user can pick the point in time to
restore from. Read-only; the dashboard page, ``GET /api/v1/sources/{id}/backup/item`` and
``kustos backup show`` use it."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404

from kustos.backup.models import BackupSnapshot
from kustos.core import runtime
from kustos.vault.errors import NotFound
from kustos.vault.snaptree import SnapEntry

VERSIONS = 100  # snapshots looked at, newest first
INTERNAL = frozenset({"volatile"})  # bookkeeping of the backup engine, not the platform's metadata


def _lookup(store: Any, snap_id: str, account: str, path: str) -> SnapEntry | None:
    try:
        return store.snapshots.lookup(snap_id, account, path)  # type: ignore[no-any-return]
    except NotFound:
        return None
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


def _fingerprint(entry: SnapEntry) -> tuple[Any, ...]:
    return (entry.id, entry.sha256, entry.size, json.dumps(entry.meta, sort_keys=True, default=str))


def detail(snap: BackupSnapshot, account: str, path: str) -> dict[str, Any]:
    """The item at ``account``/``path`` of ``snap``: kind, size, sha256, modified, its metadata (sorted,
    the engine's own keys left out) and ``versions``: per snapshot of the plan (newest first) whether the
    item is there and whether it differs from the next older one."""
    account, path = (account or "").strip(), (path or "").strip("/")
    if not account or not path:
        raise ValidationError("an item needs an account and a path")
    store = runtime.store_for(snap.plan.customer_id)
    entry = _lookup(store, snap.id, account, path)
    if entry is None:
        raise Http404(f"{account}/{path} is not in snapshot {snap.id}")
    meta = {k: entry.meta[k] for k in sorted(entry.meta) if k not in INTERNAL}
    return {"snapshot": snap.id, "time": snap.time, "account": account, "path": path, "kind": entry.kind,
            "size": entry.size, "sha256": entry.sha256, "modified": entry.modified, "meta": meta,
            "versions": versions(snap, account, path)}


def versions(snap: BackupSnapshot, account: str, path: str) -> list[dict[str, Any]]:
    """The item in the plan's last :data:`VERSIONS` snapshots, newest first: ``present``, size, sha256,
    modified and ``changed`` (differs from the next older snapshot that holds it, or first seen)."""
    store = runtime.store_for(snap.plan.customer_id)
    rows: list[dict[str, Any]] = []
    for other in snap.plan.snapshots.order_by("-time")[:VERSIONS]:
        entry = _lookup(store, other.id, account, path)
        rows.append({"snapshot": other.id, "time": other.time, "present": entry is not None,
                     "size": entry.size if entry else 0, "sha256": entry.sha256 if entry else "",
                     "modified": entry.modified if entry else "", "current": other.id == snap.id,
                     "_print": _fingerprint(entry) if entry else None})
    for newer, older in zip(rows, [*rows[1:], None], strict=True):
        newer["changed"] = newer["present"] and (older is None or newer["_print"] != older["_print"])
    for row in rows:
        del row["_print"]
    return rows


def display(value: Any) -> str:
    """A metadata value as text: scalars as they are, lists and objects as indented JSON."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)
    return "" if value is None else str(value)
