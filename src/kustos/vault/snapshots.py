"""Snapshots: self-contained manifests of item versions (what backups restore from).

A snapshot maps item keys (e.g. ``drive/report.docx``) to ``{"id": <object id>, ...meta}``
and points to its parent. It is stored sealed at ``customers/<id>/snapshots/<snapshot id>``
with one atomic write; staged puts are committed first, and every referenced object must
exist, so a snapshot never references missing data. Snapshot ids sort by creation time.
"""

from __future__ import annotations

import builtins
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import zstandard

from kustos.vault import crypto
from kustos.vault.errors import IntegrityError, NotFound

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
        now = datetime.now(UTC)
        sid = f"{now:%Y%m%dT%H%M%S%f}-{secrets.token_hex(4)}"
        doc = {"v": 1, "id": sid, "parent": parent, "time": now.isoformat(), "meta": meta or {}, "items": norm}
        raw = zstandard.compress(json.dumps(doc, separators=(",", ":"), sort_keys=True).encode(), 3)
        self.store.ctx.backend.store(self.prefix + sid, crypto.seal(self.store.key.enc_key, raw, self._aad(sid)))
        return sid

    def ids(self) -> list[str]:
        return [n[len(self.prefix):] for n in self.store.ctx.backend.list(self.prefix)]

    def read(self, sid: str) -> dict[str, Any]:
        try:
            blob = self.store.ctx.backend.load(self.prefix + sid)
        except NotFound:
            raise NotFound(sid, "snapshot")
        raw = crypto.open_sealed(self.store.key.enc_key, blob, self._aad(sid), f"snapshot {sid}")
        try:
            return dict(json.loads(zstandard.decompress(raw)))
        except (ValueError, zstandard.ZstdError) as exc:
            raise IntegrityError(f"snapshot {sid}: undecodable ({exc})")

    def list(self) -> builtins.list[dict[str, Any]]:
        """Summaries, oldest first: id, parent, time, meta, items (count)."""
        out = []
        for sid in self.ids():
            doc = self.read(sid)
            out.append({"id": sid, "parent": doc["parent"], "time": doc["time"], "meta": doc["meta"],
                        "items": len(doc["items"])})
        return out

    def diff(self, a: str | None, b: str) -> dict[str, builtins.list[str]]:
        """Item keys added, changed (other object or metadata) and removed from ``a`` to ``b``."""
        old = self.read(a)["items"] if a else {}
        new = self.read(b)["items"]
        return {"added": sorted(k for k in new if k not in old),
                "changed": sorted(k for k in new if k in old and new[k] != old[k]),
                "removed": sorted(k for k in old if k not in new)}

    def delete(self, sid: str) -> None:
        """Forget a snapshot (objects it referenced stay until retention or GC removes them)."""
        self.store.ctx.backend.delete(self.prefix + sid)
