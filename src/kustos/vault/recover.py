"""Rebuild local index caches from the vault alone (``kustos vault recover``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kustos.vault.index import load_index

if TYPE_CHECKING:
    from kustos.vault.vault import Vault


def rebuild(vault: Vault, progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Drop every cache and re-read all index files; report what the vault holds."""
    out: dict[str, Any] = {"customers": 0, "index_files": 0, "objects": 0, "packs": 0,
                           "damaged_index_files": [], "snapshots": 0}
    for cid in vault.customers():
        key = vault.keys.load(cid)
        vault.cache.drop(cid)
        state = load_index(vault.backend, vault.cache, cid, key.enc_key, use_cache=False)
        vault.cache.write(cid, key.enc_key, state.files)
        vault.forget_store(cid)
        entries = list(state.all_entries())
        out["customers"] += 1
        out["index_files"] += len(state.files)
        out["objects"] += len({e.id for e in entries if e.type != "c"})
        out["packs"] += len({e.pack for e in entries})
        out["snapshots"] += len(list(vault.backend.list(f"customers/{cid}/snapshots/")))
        out["damaged_index_files"].extend(state.errors)
        if progress:
            progress(1)
    return out
