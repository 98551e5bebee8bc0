"""The per-customer ledger: (sequence, object id, SHA-256, time) for every stored object.

Entries are written in the index files at commit (same atomic write as the data they
describe). ``seal`` groups the unsealed entries into a Merkle batch, time-stamps the root
(RFC 3161) and stores the batch at ``customers/<id>/ledger/<first>-<last>``; sealed batches
are kept when retention drops packs, so proofs outlive the data. Batches are sealed by size
(``ledger_batch`` entries) or age (``ledger_interval``) at commit, or on demand.
"""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import zstandard

from kustos.vault import crypto
from kustos.vault.errors import IntegrityError, NotFound
from kustos.vault.index import CHUNK, Entry
from kustos.vault.ledger import merkle
from kustos.vault.ledger.evidence import Evidence, leaf_bytes

if TYPE_CHECKING:
    from kustos.vault.store import CustomerStore

Row = tuple[int, str, str, float]  # seq, object id, sha256, time


class Ledger:
    def __init__(self, store: CustomerStore):
        self.store = store
        self.prefix = f"customers/{store.customer_id}/ledger/"
        self.sealed_upto = 0
        self.unsealed: list[Row] = []

    def batch_names(self) -> list[str]:
        return list(self.store.ctx.backend.list(self.prefix))

    def reload(self) -> None:
        names = self.batch_names()
        self.sealed_upto = max((int(n.rsplit("/", 1)[1].split("-")[1]) for n in names), default=0)
        rows = {e.seq: _row(e) for e in self.store.entries(after_seq=self.sealed_upto)
                if e.type != CHUNK and e.seq > self.sealed_upto}
        self.unsealed = [rows[s] for s in sorted(rows)]

    def appended(self, entries: list[Entry]) -> None:
        self.unsealed.extend(_row(e) for e in entries)

    def seal(self, force: bool = False, _locked: bool = False) -> dict[str, Any] | None:
        """Seal unsealed entries into a time-stamped batch; None when nothing is due."""
        if not _locked:
            lock = self.store.locked()
            took = not lock.held
            lock.acquire()
            try:
                self.store.refresh()
                self.reload()  # another process may have sealed meanwhile
                return self.seal(force, _locked=True)
            finally:
                if took:
                    lock.release()
        rows = self.unsealed
        opts = self.store.ctx.options
        if not rows:
            return None
        if not force and len(rows) < opts.ledger_batch and time.time() - rows[0][3] < opts.ledger_interval:
            return None
        leaves = [merkle.leaf_hash(leaf_bytes(*r)) for r in rows]
        root = merkle.root(leaves)
        tsa = self.store.ctx.tsa
        token = tsa.timestamp(root)
        name = f"{self.prefix}{rows[0][0]:012d}-{rows[-1][0]:012d}"
        doc = {"v": 1, "customer": self.store.customer_id, "entries": [list(r) for r in rows],
               "root": root.hex(), "tsa": tsa.label, "token": base64.b64encode(token).decode(),
               "sealed_at": datetime.now(UTC).isoformat()}
        self._store(name, doc)
        self.sealed_upto = rows[-1][0]
        self.unsealed = []
        return {"batch": name, "entries": len(rows), "root": root.hex(), "tsa": tsa.label}

    def _store(self, name: str, doc: dict[str, Any]) -> None:
        raw = zstandard.compress(json.dumps(doc, separators=(",", ":")).encode(), 9)
        sealed = crypto.seal(self.store.key.enc_key, raw, crypto.aad("ledger", self.store.customer_id, name))
        self.store.ctx.backend.store(name, sealed)

    def read_batch(self, name: str) -> dict[str, Any]:
        blob = self.store.ctx.backend.load(name)
        raw = crypto.open_sealed(self.store.key.enc_key, blob, crypto.aad("ledger", self.store.customer_id, name),
                                 name)
        try:
            return dict(json.loads(zstandard.decompress(raw)))
        except (ValueError, zstandard.ZstdError) as exc:
            raise IntegrityError(f"{name}: undecodable ledger batch ({exc})")

    def proof(self, object_id: str) -> Evidence:
        """Evidence that ``object_id`` was recorded; seals pending entries first if needed."""
        if any(r[1] == object_id for r in self.unsealed):
            self.seal(force=True)
        for name in reversed(self.batch_names()):
            doc = self.read_batch(name)
            rows = [(int(r[0]), str(r[1]), str(r[2]), float(r[3])) for r in doc["entries"]]
            for i, r in enumerate(rows):
                if r[1] != object_id:
                    continue
                leaves = [merkle.leaf_hash(leaf_bytes(*x)) for x in rows]
                token = base64.b64decode(doc["token"])
                certs = self.store.ctx.tsa.certificates() if doc["tsa"] == self.store.ctx.tsa.label else None
                return Evidence(self.store.customer_id, object_id, r[0], r[2], r[3], name, bytes.fromhex(doc["root"]),
                                merkle.inclusion_path(leaves, i), token, str(doc["tsa"]), certs)
        raise NotFound(object_id, "ledger entry")


def _row(e: Entry) -> Row:
    return (e.seq, e.id, e.sha256, e.time)
