"""Snapshot trees: item versions per account -> per directory, as content-addressed nodes.

A node is deterministic JSON ``{"v": 1, "e": {name: {"i": item?, "t": tree?, "n": items, "b": bytes}}}``
stored as a backup-pool object (kind ``snapshot-tree``): encrypted and packed like every
object, its id is the keyed BLAKE3 of its bytes, so an unchanged subtree has the same id and
is never stored again. ``i`` is an item (:class:`SnapEntry`), ``t`` the id of the child node
(a folder that is also an item has both), ``n``/``b`` count the items and bytes below ``t``.
The root node's names are accounts. Reading one path reads only the nodes on that path.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from kustos.vault.errors import IntegrityError

TREE_KIND = "snapshot-tree"
_KIND = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
# The kinds connectors use today; any lower-case word is accepted (new workloads).
KINDS = ("file", "folder", "mail", "event", "contact", "task", "listitem", "page", "channelmessage",
         "chatmessage")

Node = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class SnapEntry:
    """One item version: what it is, its content object and its source metadata."""

    kind: str
    id: str | None = None  # object id of the content; None for items without content (folders)
    size: int = 0
    sha256: str = ""
    modified: str = ""  # ISO 8601 from the source
    meta: dict[str, Any] = field(default_factory=dict)  # owners, permissions, eTag/cTag, versions, ...

    def __post_init__(self) -> None:
        if not isinstance(self.kind, str) or not _KIND.match(self.kind):
            raise ValueError(f"invalid snapshot item kind {self.kind!r}: use a lower-case word like 'file'")
        if self.size < 0:
            raise ValueError(f"invalid snapshot item size {self.size}")

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "size": self.size, "sha256": self.sha256,
                "modified": self.modified, "meta": self.meta}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SnapEntry:
        return cls(kind=d["kind"], id=d.get("id"), size=int(d.get("size", 0)), sha256=d.get("sha256", ""),
                   modified=d.get("modified", ""), meta=dict(d.get("meta") or {}))


def split_path(path: str) -> list[str]:
    """``a/b/c`` -> ``["a", "b", "c"]``; empty components are refused."""
    if path in ("", "/"):
        return []
    parts = path.strip("/").split("/")
    if any(p in ("", ".", "..") or "\x00" in p for p in parts):
        raise ValueError(f"invalid snapshot path {path!r}: empty, '.' or '..' component")
    return parts


def check_account(account: str) -> str:
    if not isinstance(account, str) or not account or "/" in account or "\x00" in account:
        raise ValueError(f"invalid snapshot account {account!r}: a non-empty name without '/'")
    return account


def encode_node(entries: Node) -> bytes:
    return json.dumps({"v": 1, "e": entries}, sort_keys=True, separators=(",", ":")).encode()


def decode_node(tree_id: str, data: bytes) -> Node:
    try:
        doc = json.loads(data)
        return {str(k): dict(v) for k, v in doc["e"].items()}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise IntegrityError(f"snapshot tree {tree_id}: undecodable ({exc})")


class TreeReader:
    """Loads nodes by id (a small LRU cache; nodes are immutable)."""

    def __init__(self, get: Callable[[str], bytes], size: int = 512):
        self._get = get
        self._cache: OrderedDict[str, Node] = OrderedDict()
        self._size = size
        self.loads = 0  # nodes fetched from the store (tests: listing reads only its path)

    def load(self, tree_id: str) -> Node:
        node = self._cache.get(tree_id)
        if node is None:
            self.loads += 1
            node = decode_node(tree_id, self._get(tree_id))
            self._cache[tree_id] = node
            if len(self._cache) > self._size:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(tree_id)
        return node

    def remember(self, tree_id: str, node: Node) -> None:
        """Cache a node this process has just written (its id is its content's), so reading the new
        snapshot right after (diffs, listings) does not fetch and decode it again."""
        self._cache[tree_id] = node
        self._cache.move_to_end(tree_id)
        if len(self._cache) > self._size:
            self._cache.popitem(last=False)

    def slot(self, root: str, names: list[str]) -> dict[str, Any] | None:
        """The raw node entry at ``names`` below ``root`` (None when absent)."""
        node = self.load(root)
        slot: dict[str, Any] | None = None
        for i, name in enumerate(names):
            slot = node.get(name)
            if slot is None:
                return None
            if i < len(names) - 1:
                if "t" not in slot:
                    return None
                node = self.load(slot["t"])
        return slot

    def node(self, root: str, names: list[str]) -> Node | None:
        """The children of the directory at ``names`` (None when it is no directory)."""
        if not names:
            return self.load(root)
        slot = self.slot(root, names)
        if slot is None or "t" not in slot:
            return None
        return self.load(slot["t"])

    def walk(self, tree_id: str, prefix: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
        """``(path, slot)`` of every name below ``tree_id``, depth first, sorted."""
        for name, slot in sorted(self.load(tree_id).items()):
            path = f"{prefix}/{name}" if prefix else name
            yield path, slot
            if "t" in slot:
                yield from self.walk(slot["t"], path)

    def diff(self, a: str | None, b: str | None, prefix: str = "") -> Iterator[tuple[str, str]]:
        """``(change, path)`` for items added/changed/removed from tree ``a`` to ``b``;
        subtrees with the same id are skipped without being read."""
        if a == b:
            return
        old = self.load(a) if a else {}
        new = self.load(b) if b else {}
        for name in sorted(set(old) | set(new)):
            path = f"{prefix}/{name}" if prefix else name
            o, n = old.get(name, {}), new.get(name, {})
            if "i" in n and "i" not in o:
                yield "added", path
            elif "i" in o and "i" not in n:
                yield "removed", path
            elif "i" in n and o["i"] != n["i"]:
                yield "changed", path
            if o.get("t") != n.get("t"):
                yield from self.diff(o.get("t"), n.get("t"), path)
