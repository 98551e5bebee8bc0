"""Build change sets from two vault snapshot trees (``store.snapshots.diff`` + ``lookup``).

Entropy comes from the item's metadata when the backup sink recorded it (``meta["entropy"]``
and ``meta["entropy_sample"]``, measured with :class:`EntropyEstimator` while streaming);
otherwise, with ``read_content``, from the first ``sample_bytes`` of the stored content (old
versions of modified items too). Items whose content hash did not change (metadata only,
e.g. a new sharing link) are not modifications. ``files_before`` is the account's item count
in the older snapshot (folders included: it is read from the snapshot's root, not walked).
"""

from __future__ import annotations

from typing import Any, Protocol

from kustos.backupguard.changes import NON_FILES, Change, ChangeSet
from kustos.backupguard.entropy import LIMIT, EntropyEstimator
from kustos.vault.snaptree import SnapEntry

READ = 64 * 1024


class _Store(Protocol):
    snapshots: Any

    def open(self, oid: str) -> Any: ...


def changes_between(store: _Store, previous: str | None, current: str, account: str | None = None,
                    read_content: bool = True, sample_bytes: int = LIMIT) -> dict[str, ChangeSet]:
    """One :class:`ChangeSet` per account that changed from ``previous`` (None: nothing) to
    ``current`` (only ``account`` when given)."""
    snaps = store.snapshots
    diff = snaps.diff(previous, current)
    per: dict[str, list[Change]] = {}
    for op, key in (("added", k) for k in diff["added"]):
        _collect(per, store, op, key, None, current, previous, account, read_content, sample_bytes)
    for key in diff["changed"]:
        _collect(per, store, "modified", key, previous, current, previous, account, read_content, sample_bytes)
    for key in diff["removed"]:
        _collect(per, store, "deleted", key, previous, None, previous, account, read_content, sample_bytes)
    sizes = {row["account"]: int(row.get("items", 0)) for row in snaps.ls(previous)} if previous else {}
    return {name: ChangeSet.build(name, sizes.get(name, 0), changes) for name, changes in sorted(per.items())}


def _collect(per: dict[str, list[Change]], store: _Store, op: str, key: str, old_sid: str | None,
             new_sid: str | None, previous: str | None, only: str | None, read_content: bool, sample_bytes: int) -> None:
    account, _, path = key.partition("/")
    if not path or (only is not None and account != only):
        return
    snaps = store.snapshots
    new: SnapEntry | None = snaps.lookup(new_sid, account, path) if new_sid else None
    old: SnapEntry | None = snaps.lookup(old_sid, account, path) if old_sid else None
    entry = new or old
    if entry is None or entry.kind in NON_FILES:
        return
    if op == "modified" and old is not None and new is not None and old.sha256 and old.sha256 == new.sha256:
        return
    entropy, sample = _entropy(store, new, read_content, sample_bytes) if new else (None, 0)
    before = None
    if old is not None and op != "added":
        # Deleted items too: a rename pairs the deletion with the addition and needs the old entropy.
        before = _entropy(store, old, read_content and op == "modified", sample_bytes)[0]
    per.setdefault(account, []).append(Change(op=op, path=path, kind=entry.kind, size=entry.size, entropy=entropy,
                                              sample_size=sample, previous_entropy=before))


def _entropy(store: _Store, entry: SnapEntry, read_content: bool, sample_bytes: int) -> tuple[float | None, int]:
    recorded = entry.meta.get("entropy")
    if isinstance(recorded, int | float) and 0 <= recorded <= 8:
        sample = entry.meta.get("entropy_sample")
        return float(recorded), int(sample) if isinstance(sample, int) and sample >= 0 else min(entry.size, sample_bytes)
    if not read_content or not entry.id or entry.size == 0:
        return None, 0
    est = EntropyEstimator(head=sample_bytes, limit=sample_bytes)
    with store.open(entry.id) as stream:
        while est.sample_size < sample_bytes:
            chunk = stream.read(min(READ, sample_bytes - est.sample_size))
            if not chunk:
                break
            est.feed(chunk)
    return est.entropy, est.sample_size
