"""The accounts of a backup plan and each account's snapshot timeline.

After every committed snapshot ``record`` writes one ``BackupAccountSnapshot`` per account in the
snapshot: items and bytes below the account, its status (``ok``, ``failed`` when items failed,
``departed`` when the source no longer offers the account and its data is only carried over) and how
many items were added, changed (content or metadata) or removed since the plan's previous snapshot.
The counts come from the two snapshot trees: an account whose subtree id did not change is not read
at all, inside a changed one only the differing subtrees are read. Folders are not counted.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from django.http import Http404

from kustos.backup.models import BackupAccount, BackupAccountSnapshot, BackupPlan, BackupSnapshot
from kustos.vault.errors import VaultError

log = logging.getLogger("kustos.backup")

CHANGES = ("added", "changed", "removed")


def base_of(plan: BackupPlan, parent: str, time: Any) -> str | None:
    """What a new snapshot is compared with: its vault parent when the plan still has it, else the
    plan's newest snapshot before ``time`` (retention may have forgotten the parent)."""
    if parent and plan.snapshots.filter(id=parent).exists():
        return parent
    before = plan.snapshots.filter(time__lt=time).order_by("-time").values_list("id", flat=True).first()
    return before


def account_changes(store: Any, base: str | None, sid: str) -> dict[str, Counter[str]]:
    """Per account of ``base`` or ``sid``: items added/changed/removed from ``base`` (None: an empty
    snapshot) to ``sid``."""
    snaps = store.snapshots
    trees = snaps.trees
    try:
        new = trees.load(snaps.root(sid))
        old = trees.load(snaps.root(base)) if base else {}
        out: dict[str, Counter[str]] = {}
        for account in sorted(set(old) | set(new)):
            a, b = old.get(account, {}).get("t"), new.get(account, {}).get("t")
            out[account] = Counter(_diff(trees, a, b)) if a != b else Counter()
    except (VaultError, ValueError) as exc:
        # The snapshot is committed; counts it cannot get must not fail the run (they stay 0).
        log.warning("changes of backup snapshot %s against %s are not counted: %s", sid, base, exc)
        return {}
    return out


def _diff(trees: Any, a: str | None, b: str | None) -> Iterator[str]:
    if a == b:
        return
    old = trees.load(a) if a else {}
    new = trees.load(b) if b else {}
    for name in set(old) | set(new):
        o, n = old.get(name, {}), new.get(name, {})
        before, after = o.get("i"), n.get("i")
        item = after or before
        if item is not None and item.get("kind") != "folder":
            if before is None:
                yield "added"
            elif after is None:
                yield "removed"
            elif before != after:
                yield "changed"
        if o.get("t") != n.get("t"):
            yield from _diff(trees, o.get("t"), n.get("t"))


def record(plan: BackupPlan, snap: BackupSnapshot, sizes: dict[str, dict[str, Any]], offered: Iterable[str],
           failed: list[dict[str, Any]], changes: dict[str, Counter[str]]) -> int:
    """One row per account in the snapshot (``sizes``: the snapshot's account rows by name;
    ``offered``: the accounts this run backed up); returns the number of rows written."""
    offered = set(offered)
    failed_per = Counter(f.get("account", "") for f in failed)
    accounts = {a.scope_id: a for a in BackupAccount.objects.filter(plan=plan, scope_id__in=list(sizes))}
    rows = []
    for name, size in sorted(sizes.items()):
        account = accounts.get(name)
        if account is None:
            continue
        status = "departed" if name not in offered else ("failed" if failed_per[name] else "ok")
        counts = changes.get(name, Counter())
        rows.append(BackupAccountSnapshot(
            snapshot=snap, account=account, time=snap.time, status=status, items=int(size.get("items", 0)),
            bytes=int(size.get("bytes", 0)), failed=failed_per[name], **{k: counts[k] for k in CHANGES}))
    BackupAccountSnapshot.objects.bulk_create(rows)
    return len(rows)


# --- reading ----------------------------------------------------------------------------------

def public_account(account: BackupAccount) -> dict[str, Any]:
    """``activated_at`` is when the account joined the plan (billing): the first backup that covered it,
    or the bulk activation that named it."""
    return {"account": account.scope_id, "name": account.name, "kind": account.kind,
            "activated_at": account.first_seen_at, "departed_at": account.departed_at,
            "status": "departed" if account.departed_at else (account.last_status or "pending"),
            "last_snapshot": account.last_snapshot, "items": account.items, "bytes": account.bytes}


def accounts(plan: BackupPlan) -> list[dict[str, Any]]:
    return [public_account(a) for a in plan.accounts.order_by("name", "scope_id")]


def account(plan: BackupPlan, scope_id: str) -> BackupAccount:
    found = plan.accounts.filter(scope_id=scope_id).first()
    if found is None:
        raise Http404(f"no backup account {scope_id!r} in the plan of source {plan.source_id}")
    return found


def snapshots(account: BackupAccount) -> list[dict[str, Any]]:
    """Every snapshot containing the account, newest first."""
    return [{"snapshot": r.snapshot_id, "time": r.time, "status": r.status, "items": r.items, "bytes": r.bytes,
             "added": r.added, "changed": r.changed, "removed": r.removed, "failed": r.failed}
            for r in account.snapshot_rows.order_by("-time", "-snapshot_id")]
