"""Prune: delete backup objects no snapshot references, repack partly used backup packs,
compact index files. Archive objects (every pool but ``backup``) are never deleted.

Order (crash-safe at every step, a kill -9 anywhere leaves a valid vault):

1. seal the ledger (entries of pruned objects stay provable);
2. mark: every object and tree node reachable from any snapshot, and their chunks;
3. copy the live blobs of partly used backup packs into new packs (sealed bytes move as
   they are: the AAD names customer, type and id, not the pack) and store those packs;
4. store ONE new index file per group listing every kept entry (new locations for
   repacked blobs) — the commit point; until the old files go, entries are listed twice,
   both locations valid;
5. delete the old index files of the group;
6. delete the packs that are now unreferenced (left over after a crash: ``gc`` removes them).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from kustos.vault import index as idx
from kustos.vault.errors import NotFound, PermanentError
from kustos.vault.index import BACKUP, CHUNK, TREE, Entry
from kustos.vault.packs import MAGIC, PackWriter, retain_until

if TYPE_CHECKING:
    from kustos.vault.store import CustomerStore


def live_ids(store: CustomerStore) -> set[str]:
    """Ids of every object and tree node some snapshot references."""
    snaps = store.snapshots
    live: set[str] = set()
    seen_trees: set[str] = set()
    for sid in snaps.ids():
        doc = snaps.doc(sid)
        if doc.get("v") != 2:
            live.update(str(v["id"]) for v in doc["items"].values() if v.get("id"))
            continue
        todo = [str(doc["root"])]
        while todo:
            tid = todo.pop()
            if tid in seen_trees:
                continue  # a shared subtree is marked once
            seen_trees.add(tid)
            for slot in snaps.trees.load(tid).values():
                if "t" in slot:
                    todo.append(slot["t"])
                if slot.get("i", {}).get("id"):
                    live.add(slot["i"]["id"])
    return live | seen_trees


def prune(store: CustomerStore, max_unused: float = 0.0) -> dict[str, Any]:
    """Run under the exclusive repository lock (:meth:`CustomerStore.exclusive`)."""
    if store.has_pending():
        raise RuntimeError("commit or abort staged puts before pruning")
    backend, cid = store.ctx.backend, store.customer_id
    store.refresh()
    store.ledger.reload()
    store.ledger.seal(force=True, _locked=True)
    live = live_ids(store)
    prefix = idx.index_prefix(cid) + BACKUP + "/"
    files = {n: es for n, es in store.index_files.items() if n.startswith(prefix)}
    entries = [e for es in files.values() for e in es]
    for e in entries:  # chunks of live chunked objects
        if e.type == TREE and e.id in live:
            live.update(c for c, _ in store.tree(e))
    keep: dict[tuple[str, str], Entry] = {}
    for e in entries:
        key = (CHUNK if e.type == CHUNK else "o", e.id)
        if e.id in live and key not in keep:
            keep[key] = e
    by_pack: dict[str, list[Entry]] = defaultdict(list)
    for e in entries:
        by_pack[e.pack].append(e)
    kept_in: dict[str, list[Entry]] = defaultdict(list)
    for e in keep.values():
        kept_in[e.pack].append(e)
    result = {"snapshots": len(store.snapshots.ids()), "objects_removed": 0, "bytes_removed": 0,
              "packs_deleted": 0, "packs_repacked": 0, "bytes_freed": 0, "index_files_merged": 0}
    result["objects_removed"] = len({(e.type == CHUNK, e.id) for e in entries}) - len(keep)
    result["bytes_removed"] = sum(e.length for e in entries) - sum(e.length for e in keep.values())
    writer = PackWriter(backend, cid, store.key.enc_key, store.ctx.options.pack_size)
    moved: dict[tuple[str, str], Entry] = {}
    drop_packs: list[str] = []
    for pack, pack_entries in sorted(by_pack.items()):
        total = sum(e.length for e in pack_entries)
        used = sum(e.length for e in kept_in[pack])
        if not kept_in[pack]:
            drop_packs.append(pack)
        elif (total - used) / (total + len(MAGIC)) > max_unused:
            blob = backend.load(f"customers/{cid}/{pack}")
            for e in kept_in[pack]:
                new_pack, off, length = writer.add_sealed(BACKUP, blob[e.offset:e.offset + e.length])
                moved[(CHUNK if e.type == CHUNK else "o", e.id)] = e._replace(pack=new_pack, offset=off)
            drop_packs.append(pack)
            result["packs_repacked"] += 1
    writer.flush()
    rows = [moved.get(k, e) for k, e in sorted(keep.items(), key=lambda kv: (kv[1].seq, kv[1].time))]
    if files and (len(files) > 1 or drop_packs or len(rows) != len(entries)):
        _replace_index(store, BACKUP, files, rows)
        result["index_files_merged"] += len(files)
    for pack in drop_packs:
        try:
            result["bytes_freed"] += backend.info(f"customers/{cid}/{pack}").size
            backend.delete(f"customers/{cid}/{pack}")
            result["packs_deleted"] += 1
        except NotFound:
            continue
    result["index_files_merged"] += compact_archive_indexes(store)
    store.refresh()
    return result


def _replace_index(store: CustomerStore, group: str, old: dict[str, Sequence[Entry]], rows: list[Entry]) -> None:
    """Store one index file with ``rows`` (the commit point), then delete ``old``."""
    backend = store.ctx.backend
    if rows:
        name = idx.new_index_name(store.customer_id, group)
        backend.store(name, idx.encode(store.customer_id, name, store.key.enc_key, rows), retain_until(group))
    for name in old:
        try:
            backend.delete(name)
        except NotFound:
            continue


def compact_archive_indexes(store: CustomerStore, min_files: int = 2) -> int:
    """Merge the index files of each archive group into one (same entries, same sequence
    numbers). Skipped on object-locked backends (old files could not be deleted)."""
    if store.ctx.backend.properties().get("object_lock"):
        return 0
    merged = 0
    groups: dict[str, dict[str, Sequence[Entry]]] = defaultdict(dict)
    for name, entries in store.index_files.items():
        group = name[len(idx.index_prefix(store.customer_id)):].split("/")[0]
        if group != BACKUP:
            groups[group][name] = entries
    for group, files in sorted(groups.items()):
        if len(files) < min_files:
            continue
        rows = [e for es in files.values() for e in es]
        try:
            _replace_index(store, group, files, rows)
        except PermanentError:
            continue
        merged += len(files)
    return merged
