"""Dropping a whole retention-expiry year: index files first (uncommit), then packs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kustos.vault.index import group_of, index_prefix
from kustos.vault.packs import packs_prefix

if TYPE_CHECKING:
    from kustos.vault.store import CustomerStore


def drop_year(store: CustomerStore, year: int) -> dict[str, Any]:
    """Delete every pack (and its index files) of retention year ``year``.

    The ledger is sealed first so the entries of the dropped objects stay provable.
    Fails (PermanentError from the backend) while S3 object lock still retains the packs.
    """
    backend = store.ctx.backend
    group = group_of(year)
    lock = store.locked()
    if store.has_pending():
        raise RuntimeError("commit or abort staged puts before dropping a retention year")
    lock.acquire()
    try:
        store.refresh()
        store.ledger.reload()
        store.ledger.seal(force=True, _locked=True)
        objects = sum(1 for n, es in store.index_files.items() if n.startswith(index_prefix(store.customer_id)
                      + group + "/") for e in es if e.type != "c")
        index_names = list(backend.list(f"{index_prefix(store.customer_id)}{group}/"))
        pack_names = list(backend.list(f"{packs_prefix(store.customer_id)}{group}/"))
        freed = sum(backend.info(n).size for n in pack_names)
        for name in index_names + pack_names:
            backend.delete(name)
        store.refresh()
    finally:
        lock.release()
    return {"year": year, "objects": objects, "packs": len(pack_names), "index_files": len(index_names),
            "bytes_freed": freed}
