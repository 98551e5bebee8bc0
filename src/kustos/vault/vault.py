"""The Vault: all customers' stores in one backend under one master key.

Backend layout::

    system/tsa/{ca.pem,tsa.pem,tsa.key}      built-in self-signed TSA (key sealed by master)
    system/deletions/<customer>-<time>.json   deletion records (counts only, no content)
    customers/<id>/key                        wrapped data key (delete = crypto-shred)
    customers/<id>/packs/<group>/<pack>       immutable packs; group = expiry year | keep
    customers/<id>/index/<group>/<commit>     index files (commit points)
    customers/<id>/dicts/<version>            zstd dictionaries
    customers/<id>/ledger/<first>-<last>      sealed Merkle batches with RFC 3161 tokens
    customers/<id>/snapshots/<snapshot>       snapshot documents (v1 manifest | v2 tree root)
    customers/<id>/locks/<scope>-<s|x>-<token> repository / writer lock objects (replock.py)
    packs/backup, index/backup                backup objects (pruned when unreferenced)
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from kustos.vault import gc as gc_mod
from kustos.vault import recover as recover_mod
from kustos.vault.errors import KeyError_, NotFound, VaultError
from kustos.vault.ids import check_customer_id
from kustos.vault.index import CHUNK, IndexCache
from kustos.vault.keys import KeyStore, key_name, master_id
from kustos.vault.ledger.tsa import LocalTSA
from kustos.vault.locks import WriterLock
from kustos.vault.options import StoreContext
from kustos.vault.policy import Policy
from kustos.vault.replock import WRITER, BackendLock
from kustos.vault.store import CustomerStore, remote_writer_lock
from kustos.vault.verify import VerifyReport, verify_store

Progress = Callable[[int], None]


class Vault:
    def __init__(self, ctx: StoreContext, master: bytes):
        self.ctx = ctx
        self.backend = ctx.backend
        self.cache: IndexCache = ctx.cache
        self.keys = KeyStore(ctx.backend, master)
        self._stores: dict[str, CustomerStore] = {}

    # --- customers ----------------------------------------------------------------------
    def store(self, customer_id: str) -> CustomerStore:
        """The customer's store; its data key is created on first use."""
        check_customer_id(customer_id)
        if customer_id not in self._stores:
            try:
                key = self.keys.load(customer_id)
            except KeyError_:
                if self.backend.exists(key_name(customer_id)):
                    # absent when loaded, present now: another writer just created it (a key
                    # that exists but cannot be unwrapped raises again here)
                    key = self.keys.load(customer_id)
                    self._stores[customer_id] = CustomerStore(self.ctx, key)
                    return self._stores[customer_id]
                lock = self._writer_lock(customer_id)
                lock.acquire()
                try:
                    exists = self.backend.exists(key_name(customer_id))
                    key = self.keys.load(customer_id) if exists else self.keys.create(customer_id)
                finally:
                    lock.release()
            self._stores[customer_id] = CustomerStore(self.ctx, key)
        return self._stores[customer_id]

    def _writer_lock(self, customer_id: str) -> WriterLock:
        """The customer's writer lock outside a store (data key creation, destruction)."""
        opts = self.ctx.options
        remote = (BackendLock(self.backend, customer_id, WRITER, True, opts.lock_ttl, opts.lock_timeout)
                  if remote_writer_lock(self.ctx) else None)
        return WriterLock(self.ctx.lock_dir, customer_id, opts.lock_timeout, remote)

    @contextmanager
    def writer(self, customer_id: str) -> Iterator[CustomerStore]:
        """``with vault.writer(c) as w: w.put(...)`` commits on success, aborts on error."""
        store = self.store(customer_id)
        try:
            yield store
        except BaseException:
            store.abort()
            raise
        store.commit()

    def forget_store(self, customer_id: str) -> None:
        self._stores.pop(customer_id, None)

    def customer_dirs(self) -> list[str]:
        return sorted({n.split("/")[1] for n in self.backend.list("customers/")})

    def customers(self) -> list[str]:
        """Customers that have a data key."""
        return sorted(n.split("/")[1] for n in self.backend.list("customers/") if n.count("/") == 2
                      and n.endswith("/key"))

    def has_key(self, customer_id: str) -> bool:
        return self.backend.exists(key_name(customer_id))

    def destroy_customer(self, customer_id: str) -> dict[str, Any]:
        """Crypto-shred: destroy the data key first, then delete all data; returns the record."""
        check_customer_id(customer_id)
        lock = self._writer_lock(customer_id)
        lock.acquire()
        try:
            usage = self.stats(customer_id) if self.has_key(customer_id) else {}
            try:
                key_id = self.keys.destroy(customer_id)
            except NotFound:
                key_id = ""
            self._stores.pop(customer_id, None)
            deleted, freed, refused = gc_mod.purge_prefix(self, f"customers/{customer_id}/")
            self.cache.drop(customer_id)
        finally:
            lock.release()
        now = datetime.now(UTC)
        record = {"customer_id": customer_id, "key_id": key_id, "key_destroyed": bool(key_id),
                  "deleted_at": now.isoformat(), "method": "crypto-shred: data key destroyed, then data deleted",
                  "objects": usage.get("objects", 0), "raw_bytes": usage.get("raw_bytes", 0),
                  "files_deleted": deleted, "bytes_deleted": freed, "files_retained_by_object_lock": refused}
        self.backend.store(f"system/deletions/{customer_id}-{now:%Y%m%dT%H%M%S}.json",
                           json.dumps(record, sort_keys=True).encode())
        return record

    # --- maintenance --------------------------------------------------------------------
    def _targets(self, customer_id: str | None) -> list[str]:
        return [check_customer_id(customer_id)] if customer_id else self.customers()

    def verify(self, customer_id: str | None = None, progress: Progress | None = None) -> VerifyReport:
        report = VerifyReport()
        for cid in self._targets(customer_id):
            try:
                store = self.store(cid)
            except VaultError as exc:
                report.damage(cid, "key", str(exc), type="key")
                continue
            verify_store(store, report, progress)
        return report

    def gc(self, grace_seconds: float = 24 * 3600.0) -> dict[str, Any]:
        return gc_mod.collect(self, grace_seconds)

    def recover(self, progress: Progress | None = None) -> dict[str, Any]:
        return recover_mod.rebuild(self, progress)

    def stats(self, customer_id: str | None = None) -> dict[str, Any]:
        """raw_bytes (unique objects), stored_bytes (committed pack bytes), objects, packs:
        the numbers the index tracks as commits and prunes change it (no backend scan)."""
        out = {"raw_bytes": 0, "stored_bytes": 0, "objects": 0, "packs": 0}
        for cid in self._targets(customer_id):
            usage = self.store(cid).usage()
            for key in out:
                out[key] += usage[key]
        return out

    def forget(self, customer_id: str, policy: Policy, match: dict[str, Any] | None = None) -> list[str]:
        return self.store(customer_id).forget(policy, match)

    def prune(self, customer_id: str, max_unused: float = 0.0) -> dict[str, Any]:
        return self.store(customer_id).prune(max_unused)

    def rotate_master_key(self, new_master: bytes) -> dict[str, Any]:
        """Rewrap every data key (and the local TSA key) under ``new_master``; no data is rewritten."""
        started = time.time()
        customers = self.customers()
        for cid in customers:
            self.keys.rewrap(cid, new_master)
        if isinstance(self.ctx.tsa, LocalTSA):
            self.ctx.tsa.rewrap(new_master)
        self.keys = KeyStore(self.backend, new_master)
        self._stores.clear()
        return {"customers": len(customers), "master_id": master_id(new_master),
                "seconds": round(time.time() - started, 3)}

    def chunk_count(self, customer_id: str) -> int:
        return sum(1 for e in self.store(customer_id).entries() if e.type == CHUNK)
