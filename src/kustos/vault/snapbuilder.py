"""Building a snapshot tree from its parent: copy on write, only touched directories are read.

``builder = store.snapshots.builder(parent=sid, meta={...})`` starts as a copy of the
parent (``inherit=True``: what a delta source needs; items not mentioned stay) or empty
(``inherit=False``: a full listing; :meth:`unchanged` carries items or whole subtrees over).
At :meth:`commit` the staged content and the changed directory nodes are committed, then
the snapshot document is written (one atomic store: the commit point of the snapshot). The
nodes written are kept in the tree reader's cache, so what reads the new snapshot next (the
diff against its parent for the timeline and the anomaly check) decodes no node twice.
A builder holds the customer's shared repository lock from creation to :meth:`commit` or
:meth:`abort` (prune waits meanwhile); use it as a context manager to abort on errors.
Content is committed in checkpoints (every ``flush_items`` puts or ``flush_bytes`` bytes), so
the customer's writer lock is held only briefly and other writers (archive ingestion, other
workers) take turns during a long backup; committed content no snapshot references yet is
protected from prune by the shared lock, and removed by the next prune after a crash.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, BinaryIO

from kustos.vault.errors import NotFound
from kustos.vault.index import BACKUP
from kustos.vault.replock import REPO
from kustos.vault.snaptree import TREE_KIND, Node, SnapEntry, check_account, encode_node, split_path

if TYPE_CHECKING:
    from kustos.vault.snapshots import Snapshots


class _Dir:
    __slots__ = ("entries", "children")

    def __init__(self, entries: Node):
        self.entries: Node = {k: dict(v) for k, v in entries.items()}
        self.children: dict[str, _Dir] = {}


class SnapshotBuilder:
    def __init__(self, snapshots: Snapshots, parent: str | None, meta: dict[str, Any] | None, inherit: bool = True,
                 flush_items: int = 1000, flush_bytes: int = 256 * 1024 * 1024):
        self.snapshots = snapshots
        self.store = snapshots.store
        self.parent = parent
        self.meta = dict(meta or {})
        self._parent_root = snapshots.root(parent) if parent else None
        reader = snapshots.trees
        self._root = _Dir(reader.load(self._parent_root) if inherit and self._parent_root else {})
        self._start_bytes = self.store.committed_bytes
        self.counts = {"added": 0, "unchanged": 0, "removed": 0}
        self.done: str | None = None
        self.flush_items, self.flush_bytes = flush_items, flush_bytes
        self._since = [0, 0]  # puts, bytes since the last checkpoint
        self._lock = self.store.backend_lock(REPO, exclusive=False)
        self._lock.acquire()

    def __enter__(self) -> SnapshotBuilder:
        return self

    def __exit__(self, exc_type: Any, *rest: Any) -> None:
        if self.done is None:
            self.abort()

    def abort(self) -> None:
        """Forget staged content and release the shared lock (no snapshot is written)."""
        self.store.abort()
        self._lock.release()

    # --- navigation -----------------------------------------------------------------------
    def _dir(self, names: list[str], create: bool) -> _Dir | None:
        node = self._root
        for name in names:
            child = node.children.get(name)
            if child is None:
                slot = node.entries.get(name)
                if slot is not None and "t" in slot:
                    child = _Dir(self.snapshots.trees.load(slot["t"]))
                elif create:
                    child = _Dir({})
                    node.entries.setdefault(name, {})
                else:
                    return None
                node.children[name] = child
            node = child
        return node

    @staticmethod
    def _names(account: str, path: str) -> list[str]:
        return [check_account(account), *split_path(path)]

    # --- changes ----------------------------------------------------------------------------
    def parent_entry(self, account: str, path: str) -> SnapEntry | None:
        """The item at ``account``/``path`` in the parent (compare its eTag/cTag/hash)."""
        if self._parent_root is None:
            return None
        slot = self.snapshots.trees.slot(self._parent_root, self._names(account, path))
        return SnapEntry.from_dict(slot["i"]) if slot and "i" in slot else None

    def add(self, account: str, path: str, entry: SnapEntry) -> None:
        """Record a new or changed item version (its content object is already put)."""
        names = self._names(account, path)
        if len(names) < 2:
            raise ValueError("an item needs a path inside the account")
        if not isinstance(entry, SnapEntry):
            raise TypeError("snapshot items are SnapEntry objects")
        node = self._dir(names[:-1], create=True)
        assert node is not None
        node.entries.setdefault(names[-1], {})["i"] = entry.to_dict()
        self.counts["added"] += 1

    def put(self, account: str, path: str, data: bytes | BinaryIO, kind: str, modified: str = "",
            meta: dict[str, Any] | None = None) -> SnapEntry:
        """Store content as a backup object and add it; returns the entry."""
        r = self.store.put(data, kind, pool=BACKUP)
        entry = SnapEntry(kind=kind, id=r.id, size=r.size, sha256=r.sha256, modified=modified, meta=meta or {})
        self.add(account, path, entry)
        self._since[0] += 1
        self._since[1] += r.size
        if self._since[0] >= self.flush_items or self._since[1] >= self.flush_bytes:
            self.checkpoint()
        return entry

    def checkpoint(self) -> None:
        """Commit the content put so far (releases the writer lock until the next put)."""
        self.store.commit()
        self._since = [0, 0]

    def unchanged(self, account: str, path: str = "") -> None:
        """Carry an item (with everything below it) over from the parent without reading it."""
        names = self._names(account, path)
        slot = self.snapshots.trees.slot(self._parent_root, names) if self._parent_root else None
        if slot is None:
            raise NotFound(f"{account}/{path}", "item in the parent snapshot")
        node = self._dir(names[:-1], create=True)
        assert node is not None
        node.entries[names[-1]] = dict(slot)
        node.children.pop(names[-1], None)
        self.counts["unchanged"] += 1

    def remove(self, account: str, path: str = "") -> None:
        """Drop an item (and everything below it); unknown paths are ignored."""
        names = self._names(account, path)
        node = self._dir(names[:-1], create=False)
        if node is not None and node.entries.pop(names[-1], None) is not None:
            node.children.pop(names[-1], None)
            self.counts["removed"] += 1

    # --- commit -----------------------------------------------------------------------------
    def _seal(self, node: _Dir) -> tuple[str | None, int, int]:
        for name, child in node.children.items():
            slot = node.entries.get(name)
            if slot is None:
                continue
            tid, n, b = self._seal(child)
            for key in ("t", "n", "b"):
                slot.pop(key, None)
            if tid is not None:
                slot.update(t=tid, n=n, b=b)
            if not slot:
                del node.entries[name]
        node.children = {}
        if not node.entries:
            return None, 0, 0
        items = sum(("i" in s) + s.get("n", 0) for s in node.entries.values())
        size = sum((s["i"]["size"] if "i" in s else 0) + s.get("b", 0) for s in node.entries.values())
        tree_id = self.store.put(encode_node(node.entries), TREE_KIND, pool=BACKUP).id
        self.snapshots.trees.remember(tree_id, node.entries)  # sealed: never changed again
        return tree_id, items, size

    def commit(self) -> str:
        """Commit content and tree nodes, then write the snapshot; returns its id."""
        if self.done is not None:
            raise RuntimeError(f"snapshot {self.done} is already committed")
        try:
            root, items, size = self._seal(self._root)
            if root is None:
                root = self.store.put(encode_node({}), TREE_KIND, pool=BACKUP).id
            self.store.commit()
            new_bytes = self.store.committed_bytes - self._start_bytes
            self.done = self.snapshots.write_tree_doc(root, self.parent, self.meta, items, size, new_bytes)
        finally:
            self._lock.release()
        return self.done
