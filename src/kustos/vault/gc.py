"""Garbage collection of unreferenced data after a grace period.

Removes, per customer and under its writer lock: packs no index file references (left by
crashed or aborted writers), compression dictionaries that are neither referenced nor the
newest, and for the local backend interrupted temporary files. Customers whose key is gone
(a destroy that was interrupted) have their remaining data deleted. The grace period
protects writers that are between storing a pack and committing its index.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from kustos.vault.backends.local import LocalBackend
from kustos.vault.backends.retry import RetryingBackend
from kustos.vault.compress import dict_name
from kustos.vault.errors import NotFound
from kustos.vault.packs import packs_prefix

if TYPE_CHECKING:
    from kustos.vault.vault import Vault


def collect(vault: Vault, grace_seconds: float) -> dict[str, Any]:
    backend = vault.backend
    cutoff = time.time() - grace_seconds
    result = {"packs_deleted": 0, "bytes_freed": 0, "dicts_deleted": 0, "leftovers_deleted": 0,
              "customers_purged": 0}
    for cid in vault.customer_dirs():
        if not vault.has_key(cid):
            for name in list(backend.list(f"customers/{cid}/")):
                if backend.info(name).mtime < cutoff:
                    result["bytes_freed"] += backend.info(name).size
                    backend.delete(name)
            result["customers_purged"] += 1
            continue
        store = vault.store(cid)
        lock = store.locked()
        lock.acquire()
        try:
            store.refresh()
            referenced = {e.pack for e in store.entries()}
            for name in list(backend.list(packs_prefix(cid))):
                rel = name[len(f"customers/{cid}/"):]
                info = backend.info(name)
                if rel not in referenced and info.mtime < cutoff:
                    backend.delete(name)
                    result["packs_deleted"] += 1
                    result["bytes_freed"] += info.size
            used = {int(e.method[1:]) for e in store.entries() if e.method.startswith("d")}
            versions = store.compressor.versions()
            for v in versions[:-1]:
                name = dict_name(cid, v)
                if v not in used and backend.info(name).mtime < cutoff:
                    backend.delete(name)
                    result["dicts_deleted"] += 1
        finally:
            lock.release()
    inner = backend.inner if isinstance(backend, RetryingBackend) else backend
    if isinstance(inner, LocalBackend):
        for path in inner.leftovers(cutoff):
            try:
                path.unlink()
                result["leftovers_deleted"] += 1
            except FileNotFoundError:
                continue
    return result


def purge_prefix(vault: Vault, prefix: str) -> tuple[int, int, int]:
    """Delete every object under ``prefix``; returns (deleted, bytes, refused by retention)."""
    deleted = freed = refused = 0
    for name in list(vault.backend.list(prefix)):
        try:
            size = vault.backend.info(name).size
            vault.backend.delete(name)
        except NotFound:
            continue
        except Exception:  # noqa: BLE001 - object lock refusals are counted, not fatal
            refused += 1
            continue
        deleted += 1
        freed += size
    return deleted, freed, refused
