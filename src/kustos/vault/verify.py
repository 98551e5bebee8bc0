"""Full verification of one customer: keys, index files, every blob, trees, ledger, snapshots.

Every blob is authenticated (AES-GCM), decompressed and re-hashed against its id (and its
SHA-256 for whole objects); trees must reference existing chunks; ledger batches must
recompute to their Merkle root, carry a token over that root (and renewals chained over
root and the previous token, ``ledger/renew.py``) and cover every committed object;
snapshots must reference existing objects. Problems are reported, never raised.
"""

from __future__ import annotations

import base64
import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kustos.vault import crypto
from kustos.vault.errors import NotFound, VaultError
from kustos.vault.index import TREE, Entry
from kustos.vault.ledger import merkle
from kustos.vault.ledger.evidence import leaf_bytes
from kustos.vault.ledger.renew import Renewals
from kustos.vault.ledger.tsa import verify_token
from kustos.vault.packs import blob_aad
from kustos.vault.reader import parse_tree
from kustos.vault.store import CustomerStore

Progress = Callable[[int], None]


@dataclass
class VerifyReport:
    ok: bool = True
    checked: int = 0
    damaged: list[dict[str, Any]] = field(default_factory=list)
    missing: list[dict[str, Any]] = field(default_factory=list)

    def damage(self, customer: str, item: str, reason: str, **extra: Any) -> None:
        self.ok = False
        self.damaged.append({"customer": customer, "item": item, "reason": reason, **extra})

    def miss(self, customer: str, item: str, reason: str, **extra: Any) -> None:
        self.ok = False
        self.missing.append({"customer": customer, "item": item, "reason": reason, **extra})

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checked": self.checked, "damaged": self.damaged, "missing": self.missing}


def _check_blob(store: CustomerStore, e: Entry, sealed: bytes) -> bytes:
    """Authenticated plaintext of a blob; raises VaultError describing the damage."""
    payload = crypto.open_sealed(store.key.enc_key, sealed, blob_aad(store.customer_id, e.type, e.id),
                                 f"blob {e.id}")
    data = store.compressor.decompress(e.method, payload, e.size)
    if e.type == TREE:
        return data
    if store.load_id(data) != e.id or len(data) != e.size:
        raise VaultError("content does not match its id")
    if e.sha256 and hashlib.sha256(data).hexdigest() != e.sha256:
        raise VaultError("SHA-256 does not match the ledger")
    return data


def verify_store(store: CustomerStore, report: VerifyReport, progress: Progress | None = None) -> None:
    cid = store.customer_id
    backend = store.ctx.backend
    store.refresh()
    for name, why in store.index_errors.items():
        report.damage(cid, name, why, type="index")
    by_pack: dict[str, list[Entry]] = defaultdict(list)
    for e in store.entries():
        by_pack[e.pack].append(e)
    bad_chunks: set[str] = set()
    trees: list[tuple[Entry, bytes]] = []
    for pack, entries in sorted(by_pack.items()):
        try:
            blob = backend.load(f"customers/{cid}/{pack}")
        except NotFound:
            for e in entries:
                report.miss(cid, e.id, f"pack {pack} is missing", type=e.type, kind=e.kind, pack=pack)
                bad_chunks.add(e.id)
            continue
        for e in entries:
            report.checked += 1
            try:
                data = _check_blob(store, e, blob[e.offset:e.offset + e.length])
                if e.type == TREE:
                    trees.append((e, data))
            except VaultError as exc:
                report.damage(cid, e.id, str(exc), type=e.type, kind=e.kind, pack=pack, offset=e.offset)
                bad_chunks.add(e.id)
        if progress:
            progress(len(entries))
        del blob
    for e, data in trees:
        for chunk_id, _size in parse_tree(data):
            if store.chunk_entry(chunk_id) is None:
                report.miss(cid, e.id, f"chunk {chunk_id} is missing", type="t", kind=e.kind)
            elif chunk_id in bad_chunks:
                report.damage(cid, e.id, f"chunk {chunk_id} is damaged", type="t", kind=e.kind)
    _verify_ledger(store, report)
    _verify_snapshots(store, report)


def _verify_ledger(store: CustomerStore, report: VerifyReport) -> None:
    cid = store.customer_id
    covered: set[int] = set()
    expected = 1
    for name in store.ledger.batch_names():
        try:
            doc = store.ledger.read_batch(name)
            rows = [(int(r[0]), str(r[1]), str(r[2]), float(r[3])) for r in doc["entries"]]
            root = merkle.root([merkle.leaf_hash(leaf_bytes(*r)) for r in rows])
            if root.hex() != doc["root"]:
                raise VaultError("Merkle root does not match the entries")
            tsa = store.ctx.tsa
            certs = tsa.certificates() if doc.get("tsa") == tsa.label else None
            verify_token(base64.b64decode(doc["token"]), root, certs[1] if certs else None)
            Renewals(store).verify(name, doc)
        except (VaultError, ValueError, KeyError) as exc:
            report.damage(cid, name, str(exc), type="ledger")
            continue
        report.checked += 1
        if rows and rows[0][0] != expected:
            report.miss(cid, name, f"ledger entries {expected}..{rows[0][0] - 1} are missing", type="ledger")
        expected = rows[-1][0] + 1 if rows else expected
        covered.update(r[0] for r in rows)
    for oid, e in store.objects().items():
        if e.seq <= store.ledger.sealed_upto and e.seq not in covered:
            report.miss(cid, oid, f"ledger entry {e.seq} is missing", type="ledger")


def _verify_snapshots(store: CustomerStore, report: VerifyReport) -> None:
    cid = store.customer_id
    objects = store.objects()
    for sid in store.snapshots.ids():
        try:
            doc = store.snapshots.read(sid)
        except VaultError as exc:
            report.damage(cid, f"snapshot {sid}", str(exc), type="snapshot")
            continue
        report.checked += 1
        for key, item in doc["items"].items():
            if item.get("id") is not None and item["id"] not in objects:
                report.miss(cid, item["id"], f"referenced by snapshot {sid} as {key!r}", type="snapshot-item")


