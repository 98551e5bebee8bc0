"""The backup sink of the run loop (``sources.runloop.BackupSink``) on a vault snapshot builder.

Framework-free. Account = the scope id; path = the item's folder + its name (``meta["name"]``, else
its source id). An item whose content tag (cTag, content hash, else eTag) equals the parent entry's
is carried over by reference without reading its content; streams are put piece by piece (FastCDC,
flat memory); deletions remove the item (found by its source id, kept in each entry's meta); a reset
drops the account and re-enumerates (unchanged items are still referenced, not downloaded). An item
that fails is listed with its reason and the snapshot still commits; the cursor of a scope with a
failed item is not handed back, so the next run fetches it again. Cursors are handed back from
``finish`` only after the snapshot is committed.

Contents are downloaded a few at once ahead of the writer (``prefetch.py``: bounded window and
queues, large files streamed), while the snapshot is written in the batch's order. Finding an
item's previous version costs one lookup of its own path in the parent snapshot; only an item not
found there (new, moved, or a deletion without a path) makes the sink index the parent account's
source ids once per run, so an incremental run touches the parent only along the changed paths.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from kustos.backup.prefetch import Opener, Prefetcher
from kustos.backupguard.entropy import EntropyEstimator
from kustos.sources.base import Batch, ConnectorError, Cursor, Item, Scope
from kustos.sources.runloop import Durable
from kustos.vault.snaptree import SnapEntry

log = logging.getLogger("kustos.backup")

# Metadata keys that identify an item's content, strongest first (OneDrive cTag, hashes, then eTag).
CONTENT_TAGS = ("cTag", "sha256Hash", "quickXorHash", "sha1Hash", "hash", "changeKey", "eTag")
ITEM_ERRORS = (ConnectorError, OSError, ValueError, TypeError, KeyError)


def account_of(scope: Scope) -> str:
    return scope.id.replace("/", "_") or "_"


def _component(name: str) -> str:
    name = name.replace("/", "_").replace("\x00", "")
    return "_" + name if name in (".", "..") else name


def item_path(item: Item) -> str:
    parts = [_component(p) for p in item.folder.split("/") if p]
    name = _component(str(item.meta.get("name") or item.source_id))
    return "/".join([*parts, name or "_"])


def content_tag(meta: dict[str, Any]) -> tuple[str, str] | None:
    for key in CONTENT_TAGS:
        if meta.get(key):
            return key, str(meta[key])
    return None


def modified_of(meta: dict[str, Any]) -> str:
    return str(meta.get("lastModifiedDateTime") or meta.get("modified") or meta.get("receivedDateTime") or "")


class IterStream:
    """A read-once binary stream over an iterator of byte chunks (what ``Item.stream()`` yields)."""

    def __init__(self, chunks: Iterator[bytes]):
        self._chunks = iter(chunks)
        self._buf = bytearray()
        self._eof = False

    def read(self, size: int = -1) -> bytes:
        while not self._eof and (size < 0 or len(self._buf) < size):
            chunk = next(self._chunks, None)
            if chunk is None:
                self._eof = True
            else:
                self._buf += chunk
        if size < 0:
            size = len(self._buf)
        out = bytes(self._buf[:size])
        del self._buf[:size]
        return out


class EntropyFeed:
    """Passes a stream (or bytes) through to the vault while an :class:`EntropyEstimator` samples it,
    so the anomaly check later needs no second read of the content."""

    def __init__(self, data: Any) -> None:
        self.estimator = EntropyEstimator()
        if isinstance(data, bytes | bytearray | memoryview):
            self.estimator.feed(data)
            self.data: Any = data
        else:
            self._stream = data
            self.data = self

    def read(self, size: int = -1) -> bytes:
        chunk = self._stream.read(size)
        if chunk:
            self.estimator.feed(chunk)
        return chunk

    def meta(self) -> dict[str, Any]:
        entropy = self.estimator.entropy
        if entropy is None:
            return {}
        return {"entropy": round(entropy, 4), "entropy_sample": self.estimator.sample_size}


class VaultBackupSink:
    """One run's snapshot. ``on_commit(snapshot_id)`` runs after the snapshot is committed and before
    the cursors are handed back (the caller records the snapshot there)."""

    def __init__(self, store: Any, parent: str | None, meta: dict[str, Any],
                 on_commit: Callable[[str], None] | None = None, downloads: int = 4) -> None:
        self.store = store
        self.parent = parent
        self.builder = store.snapshots.builder(parent=parent, meta=meta, inherit=True)
        self.on_commit = on_commit
        self.staged: dict[str, Cursor] = {}
        self.failed: list[dict[str, str]] = []
        self.failed_scopes: set[str] = set()
        self.counts = {"stored": 0, "unchanged": 0, "removed": 0}
        self.snapshot: str | None = None
        self._run_paths: dict[str, dict[str, str | None]] = {}  # account -> source id -> path (None: gone)
        self._parent_paths: dict[str, dict[str, str]] = {}
        self._resetting: dict[str, bool] = {}
        self.prefetch = Prefetcher(workers=downloads, window=2 * downloads)

    # --- the run loop's side ----------------------------------------------------------------
    def write(self, scope: Scope, batch: Batch) -> Durable:
        account = account_of(scope)
        if batch.reset and not self._resetting.get(account):
            self.builder.remove(account)
            self._run_paths[account] = {}
            self._parent_paths[account] = {}  # nothing of the parent is there any more
        self._resetting[account] = batch.reset
        ahead = self.prefetch.ahead([self._opener(account, item) for item in batch.items])
        try:
            for position, item in enumerate(batch.items):
                ahead.advance(position)
                try:
                    self._item(account, item, partial(ahead.content, position))
                except ITEM_ERRORS as exc:
                    self.failed.append({"account": account, "path": self._safe_path(item),
                                        "source_id": item.source_id, "error": f"{type(exc).__name__}: {exc}"[:500]})
                    self.failed_scopes.add(scope.id)
        finally:
            ahead.close()
        if batch.next_cursor is not None:
            self.staged[scope.id] = batch.next_cursor
        return []

    def finish(self) -> Durable:
        self.prefetch.close()
        self.builder.meta.update(failed=self.failed, complete=not self.failed)
        self.snapshot = self.builder.commit()
        if self.on_commit is not None:
            self.on_commit(self.snapshot)
        return [(sid, cursor) for sid, cursor in self.staged.items() if sid not in self.failed_scopes]

    def abort(self, error: str) -> None:
        log.warning("backup run aborted: %s", error)
        self.prefetch.close()
        self.builder.abort()

    # --- items ------------------------------------------------------------------------------
    @staticmethod
    def _safe_path(item: Item) -> str:
        try:
            return item_path(item)
        except Exception:  # noqa: BLE001 - a path only for the failure report
            return item.source_id

    def _locate(self, account: str, source_id: str, path: str | None = None) -> str | None:
        """Where the item is in this run so far, else in the parent (None: nowhere). ``path``, where
        the item says it is now, is tried first; the parent account is indexed only on a miss."""
        run = self._run_paths.setdefault(account, {})
        if source_id in run:
            return run[source_id]
        if account not in self._parent_paths:
            if path is not None and self.parent is not None:
                entry = self.builder.parent_entry(account, path)
                if entry is not None and entry.meta.get("source_id") == source_id:
                    return path
            found: dict[str, str] = {}
            if self.parent is not None:
                for sub, entry in self.store.snapshots.walk(self.parent, account):
                    sid = entry.meta.get("source_id")
                    if sid:
                        found[str(sid)] = sub
            self._parent_paths[account] = found
        return self._parent_paths[account].get(source_id)

    def _previous(self, account: str, item: Item, path: str, old: str | None) -> SnapEntry | None:
        """The item's version in the parent: at its path, or at its old path when it moved."""
        prev = self.builder.parent_entry(account, path)
        if old and old != path:  # a moved item is compared with its version at the old path
            before = self.builder.parent_entry(account, old)
            if before is not None and before.meta.get("source_id") == item.source_id:
                prev = before
        return prev

    def _opener(self, account: str, item: Item) -> Opener | None:
        """The item's content opener when its content will have to be read (to download it ahead)."""
        if item.deleted or item.stream is None:
            return None
        try:
            path = item_path(item)
            prev = self._previous(account, item, path, self._locate(account, item.source_id, path))
        except ITEM_ERRORS:
            return None  # reported when the item is written
        if prev is not None and prev.id and _same_content(prev.meta, item.meta):
            return None
        return item.stream

    def _item(self, account: str, item: Item,
              content: Callable[[Opener], Iterator[bytes]] | None = None) -> None:
        run = self._run_paths.setdefault(account, {})
        path = item_path(item) if not item.deleted else None
        old = self._locate(account, item.source_id, path)
        if item.deleted:
            target = old or (item_path(item) if item.meta.get("name") else None)
            if target:
                self.builder.remove(account, target)
                self.counts["removed"] += 1
            run[item.source_id] = None
            return
        assert path is not None
        meta = {**item.meta, "source_id": item.source_id}
        modified = modified_of(item.meta)
        if old and old != path:  # moved or renamed: its subtree moves along
            self.builder.remove(account, old)
            self._move_children(account, old, path)
        prev = self._previous(account, item, path, old)
        if item.stream is None and not item.data and item.kind == "folder":
            self.builder.add(account, path, SnapEntry(kind="folder", modified=modified, meta=meta))
        elif prev is not None and prev.id and _same_content(prev.meta, item.meta):
            self.builder.add(account, path, SnapEntry(kind=item.kind, id=prev.id, size=prev.size, sha256=prev.sha256,
                                                      modified=modified, meta=meta))
            self.counts["unchanged"] += 1
        else:
            if item.stream is None:
                feed = EntropyFeed(item.data)
            else:
                feed = EntropyFeed(IterStream(content(item.stream) if content is not None else item.stream()))
            entry = self.builder.put(account, path, feed.data, item.kind, modified, meta)
            # Re-added with the entropy sampled while streaming (meta["entropy"], ["entropy_sample"]).
            self.builder.add(account, path, SnapEntry(kind=entry.kind, id=entry.id, size=entry.size,
                                                      sha256=entry.sha256, modified=modified,
                                                      meta={**meta, **feed.meta()}))
            self.counts["stored"] += 1
        run[item.source_id] = path

    def _move_children(self, account: str, old: str, new: str) -> None:
        if self.parent is None:
            return
        run = self._run_paths[account]
        for sub, entry in self.store.snapshots.walk(self.parent, account, old):
            if sub == old:
                continue
            target = new + sub[len(old):]
            self.builder.add(account, target, entry)
            sid = entry.meta.get("source_id")
            if sid and run.get(str(sid), target) == target:
                run[str(sid)] = target


def _same_content(old: dict[str, Any], new: dict[str, Any]) -> bool:
    tag = content_tag(new)
    return tag is not None and str(old.get(tag[0]) or "") == tag[1]
