"""Snapshots: item versions with a parent (what backups restore from).

A snapshot document is stored sealed at ``customers/<id>/snapshots/<snapshot id>`` with one
atomic write (the snapshot's commit point); staged puts are committed first, so a snapshot
never references missing data. Snapshot ids sort by creation time. Two forms:

- v2 (backups, :meth:`Snapshots.builder`): the document names the root of a tree of
  content-addressed nodes (:mod:`kustos.vault.snaptree`) plus item/byte totals; ``ls``,
  ``lookup`` and ``walk`` read only the nodes on their path, ``diff`` skips equal subtrees.
- v1 (:meth:`Snapshots.create`): one manifest of item key -> ``{"id", ...meta}``.

``read``/``list``/``diff`` accept both (``read`` of a v2 snapshot flattens its tree to
``account/path`` keys).
"""

from __future__ import annotations

import builtins
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import zstandard

from kustos.vault import crypto
from kustos.vault.errors import IntegrityError, NotFound
from kustos.vault.snapbuilder import SnapshotBuilder
from kustos.vault.snaptree import SnapEntry, TreeReader, check_account, split_path

if TYPE_CHECKING:
    from kustos.vault.store import CustomerStore


@dataclass(frozen=True)
class ItemRef:
    id: str
    meta: dict[str, Any] = field(default_factory=dict)


def _normalise(value: ItemRef | dict[str, Any] | str) -> dict[str, Any]:
    if isinstance(value, ItemRef):
        return {**value.meta, "id": value.id}
    if isinstance(value, str):
        return {"id": value}
    if "id" not in value:
        raise ValueError("snapshot item needs an 'id'")
    return dict(value)


class Snapshots:
    def __init__(self, store: CustomerStore):
        self.store = store
        self.prefix = f"customers/{store.customer_id}/snapshots/"
        self.trees = TreeReader(store.get)
        self._docs: dict[str, dict[str, Any]] = {}  # sid -> v2 document (immutable)

    def _aad(self, sid: str) -> bytes:
        return crypto.aad("snapshot", self.store.customer_id, sid)

    def create(self, items: dict[str, ItemRef | dict[str, Any] | str], parent: str | None = None,
               meta: dict[str, Any] | None = None) -> str:
        self.store.commit()
        norm = {key: _normalise(v) for key, v in items.items()}
        missing = sorted({v["id"] for v in norm.values() if not self.store.exists(v["id"])})
        if missing:
            raise NotFound(", ".join(missing[:5]), "snapshot item object")
        if parent is not None and parent not in self.ids():
            raise NotFound(parent, "parent snapshot")
        return self._write({"v": 1, "parent": parent, "meta": meta or {}, "items": norm})

    def _write(self, doc: dict[str, Any]) -> str:
        now = datetime.now(UTC)
        sid = f"{now:%Y%m%dT%H%M%S%f}-{secrets.token_hex(4)}"
        doc = {**doc, "id": sid, "time": now.isoformat()}
        raw = zstandard.compress(json.dumps(doc, separators=(",", ":"), sort_keys=True).encode(), 3)
        self.store.ctx.backend.store(self.prefix + sid, crypto.seal(self.store.key.enc_key, raw, self._aad(sid)))
        return sid

    # --- v2: trees ------------------------------------------------------------------------
    def builder(self, parent: str | None = None, meta: dict[str, Any] | None = None, inherit: bool = True,
                **flush: int) -> SnapshotBuilder:
        """A new snapshot based on ``parent`` (see :mod:`kustos.vault.snapbuilder`);
        ``flush_items``/``flush_bytes`` set how often content is committed."""
        if parent is not None and parent not in self.ids():
            raise NotFound(parent, "parent snapshot")
        return SnapshotBuilder(self, parent, meta, inherit, **flush)

    def write_tree_doc(self, root: str, parent: str | None, meta: dict[str, Any], items: int, size: int,
                       new_bytes: int) -> str:
        return self._write({"v": 2, "parent": parent, "meta": meta, "root": root, "items": items,
                            "bytes": size, "new_bytes": new_bytes})

    def doc(self, sid: str) -> dict[str, Any]:
        """The stored document as is (v1: with its items; v2: with its root)."""
        if sid in self._docs:
            return self._docs[sid]
        try:
            blob = self.store.ctx.backend.load(self.prefix + sid)
        except NotFound:
            raise NotFound(sid, "snapshot")
        raw = crypto.open_sealed(self.store.key.enc_key, blob, self._aad(sid), f"snapshot {sid}")
        try:
            doc = dict(json.loads(zstandard.decompress(raw)))
        except (ValueError, zstandard.ZstdError) as exc:
            raise IntegrityError(f"snapshot {sid}: undecodable ({exc})")
        if doc.get("v") == 2:
            self._docs[sid] = doc
        return doc

    def root(self, sid: str) -> str:
        doc = self.doc(sid)
        if doc.get("v") != 2:
            raise ValueError(f"snapshot {sid} is a v1 manifest without a tree")
        return str(doc["root"])

    def lookup(self, sid: str, account: str, path: str) -> SnapEntry | None:
        """The item at ``account``/``path`` of snapshot ``sid`` (None when absent)."""
        slot = self.trees.slot(self.root(sid), [check_account(account), *split_path(path)])
        return SnapEntry.from_dict(slot["i"]) if slot and "i" in slot else None

    def ls(self, sid: str, account: str | None = None, path: str = "") -> builtins.list[dict[str, Any]]:
        """One level: the accounts (``account=None``) or the children of ``account``/``path``
        (a path naming an item lists that item). Rows: account, path, name, kind, size,
        sha256, modified, id, meta, dir (has children), items/bytes below."""
        root = self.root(sid)
        if account is None:
            return [{"account": name, "path": "", "name": name, "kind": "account", "dir": True,
                     "items": slot.get("n", 0), "bytes": slot.get("b", 0)}
                    for name, slot in sorted(self.trees.load(root).items())]
        names = [check_account(account), *split_path(path)]
        node = self.trees.node(root, names)
        if node is None:
            slot = self.trees.slot(root, names) if len(names) > 1 else None
            if slot is None:
                raise NotFound(f"{account}/{path}", f"path in snapshot {sid}")
            node, names = {names[-1]: slot}, names[:-1]
        base = "/".join(names[1:])
        return [_row(account, f"{base}/{name}" if base else name, name, slot) for name, slot in sorted(node.items())]

    def walk(self, sid: str, account: str, path: str = "") -> Iterator[tuple[str, SnapEntry]]:
        """Every item of ``account`` (below ``path``) as ``(path, entry)``, depth first."""
        names = [check_account(account), *split_path(path)]
        node_slot = self.trees.slot(self.root(sid), names)
        if node_slot is None:
            return
        base = "/".join(names[1:])
        if base and "i" in node_slot:
            yield base, SnapEntry.from_dict(node_slot["i"])
        if "t" in node_slot:
            for sub, slot in self.trees.walk(node_slot["t"], base):
                if "i" in slot:
                    yield sub, SnapEntry.from_dict(slot["i"])

    def _flat(self, sid: str) -> dict[str, Any]:
        doc = self.doc(sid)
        if doc.get("v") != 2:
            return dict(doc["items"])
        return {f"{path}": slot["i"] for path, slot in self.trees.walk(doc["root"]) if "i" in slot}

    def ids(self) -> list[str]:
        return [n[len(self.prefix):] for n in self.store.ctx.backend.list(self.prefix)]

    def read(self, sid: str) -> dict[str, Any]:
        """The document with ``items`` (a v2 tree flattened to ``account/path`` keys)."""
        doc = dict(self.doc(sid))
        if doc.get("v") == 2:
            doc["items"] = self._flat(sid)
        return doc

    def list(self) -> builtins.list[dict[str, Any]]:
        """Summaries, oldest first: id, parent, time, meta, items (count); v2 adds bytes, new_bytes."""
        out = []
        for sid in self.ids():
            doc = self.doc(sid)
            row = {"id": sid, "parent": doc["parent"], "time": doc["time"], "meta": doc["meta"]}
            if doc.get("v") == 2:
                row.update(items=doc["items"], bytes=doc["bytes"], new_bytes=doc["new_bytes"])
            else:
                row["items"] = len(doc["items"])
            out.append(row)
        return out

    def diff(self, a: str | None, b: str) -> dict[str, builtins.list[str]]:
        """Item keys added, changed (other object or metadata) and removed from ``a`` to ``b``.

        Between two tree snapshots only subtrees whose ids differ are read."""
        if (a is None or self.doc(a).get("v") == 2) and self.doc(b).get("v") == 2:
            out: dict[str, builtins.list[str]] = {"added": [], "changed": [], "removed": []}
            for change, path in self.trees.diff(self.root(a) if a else None, self.root(b)):
                out[change].append(path)
            return {k: sorted(v) for k, v in out.items()}
        old = self._flat(a) if a else {}
        new = self._flat(b)
        return {"added": sorted(k for k in new if k not in old),
                "changed": sorted(k for k in new if k in old and new[k] != old[k]),
                "removed": sorted(k for k in old if k not in new)}

    def delete(self, sid: str) -> None:
        """Forget a snapshot (objects it referenced stay until retention or GC removes them)."""
        self.store.ctx.backend.delete(self.prefix + sid)
        self._docs.pop(sid, None)


def _row(account: str, path: str, name: str, slot: dict[str, Any]) -> dict[str, Any]:
    item = slot.get("i") or {"kind": "folder", "id": None, "size": 0, "sha256": "", "modified": "", "meta": {}}
    return {"account": account, "path": path, "name": name, **item, "dir": "t" in slot,
            "items": slot.get("n", 0), "bytes": slot.get("b", 0)}
