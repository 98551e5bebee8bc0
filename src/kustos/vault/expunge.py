"""Expunge: delete chosen archive objects (approved deletions, requirement 11) from the vault.

Archive packs are immutable and grouped by retention year; a deletion rewrites the packs that
hold deleted objects without them. Run under the exclusive repository lock
(:meth:`CustomerStore.exclusive`); :func:`expunge_store` takes it.

Order (crash-safe at every step, like :mod:`kustos.vault.prune`; a kill -9 anywhere leaves a
valid vault, and running the same expunge again finishes the job):

1. seal the ledger (the ledger entries of deleted objects stay, so earlier evidence stays
   provable; verification only checks ledger coverage of objects still indexed);
2. copy the kept blobs of every pack that holds a deleted blob into new packs (sealed bytes
   move as they are: the AAD names customer, type and id, not the pack) and store them;
3. store ONE new index file per touched group listing every kept entry (new locations for
   moved blobs) — the commit point; until the old files go, the deleted objects are still
   listed (and still readable) through the old files;
4. delete the old index files of the group;
5. delete the old packs (left over after a crash: ``gc`` removes them);
6. groups (retention years) in ``drop_years`` in which nothing but bookkeeping objects
   (``mailrefs``) would remain are dropped whole with :meth:`CustomerStore.drop_retention_year`.

Chunks of a deleted chunked object are deleted unless another kept object (or a backup
object) uses them. Backup pool objects are never touched.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from kustos.vault import index as idx
from kustos.vault.errors import NotFound
from kustos.vault.index import BACKUP, CHUNK, TREE, Entry
from kustos.vault.packs import PackWriter
from kustos.vault.prune import _replace_index

if TYPE_CHECKING:
    from kustos.vault.store import CustomerStore

BOOKKEEPING = frozenset({"mailrefs"})  # kinds that do not keep a year group alive


def expunge_store(store: CustomerStore, ids: Iterable[str], drop_years: Iterable[int] = ()) -> dict[str, Any]:
    """Delete the objects ``ids`` (every archive location, and chunks nobody else uses)."""
    with store.exclusive():
        return expunge(store, set(ids), set(drop_years))


def expunge(store: CustomerStore, ids: set[str], drop_years: set[int]) -> dict[str, Any]:
    """The work of :func:`expunge_store`; the caller holds the exclusive lock."""
    if store.has_pending():
        raise RuntimeError("commit or abort staged puts before expunging")
    backend, cid = store.ctx.backend, store.customer_id
    store.refresh()
    store.ledger.reload()
    store.ledger.seal(force=True, _locked=True)
    result: dict[str, Any] = {"objects_removed": 0, "bytes_removed": 0, "packs_rewritten": 0,
                              "packs_deleted": 0, "years_dropped": [], "missing": 0}
    files = store.index_files
    entries = [e for es in files.values() for e in es]
    present = {e.id for e in entries if e.type != CHUNK}
    result["missing"] = len(ids - present)
    # Chunks still used by a kept chunked object (any pool) stay.
    used_chunks: set[str] = set()
    dead_chunks: set[str] = set()
    for e in entries:
        if e.type == TREE:
            target = dead_chunks if e.id in ids else used_chunks
            target.update(c for c, _ in store.tree(e))
    dead_chunks -= used_chunks

    def doomed(e: Entry) -> bool:
        if e.group == BACKUP:
            return False
        return e.id in dead_chunks if e.type == CHUNK else e.id in ids

    prefix = idx.index_prefix(cid)
    by_group: dict[str, dict[str, Sequence[Entry]]] = defaultdict(dict)
    for name, es in files.items():
        by_group[name[len(prefix):].split("/")[0]][name] = es
    whole_drop: list[int] = []
    writer = PackWriter(backend, cid, store.key.enc_key, store.ctx.options.pack_size)
    plans: list[tuple[str, dict[str, Sequence[Entry]], list[Entry], list[str]]] = []
    for group, gfiles in sorted(by_group.items()):
        if group == BACKUP:
            continue
        gentries = [e for es in gfiles.values() for e in es]
        gone = [e for e in gentries if doomed(e)]
        if not gone:
            continue
        kept = [e for e in gentries if not doomed(e)]
        if group.isdigit() and int(group) in drop_years and all(e.kind in BOOKKEEPING for e in kept
                                                                 if e.type != CHUNK):
            whole_drop.append(int(group))
            result["objects_removed"] += len({e.id for e in gone if e.type != CHUNK})
            result["bytes_removed"] += sum(e.length for e in gone)
            continue
        dirty = {e.pack for e in gone}
        moved: dict[tuple[str, int], Entry] = {}
        for pack in sorted(dirty):
            stay = [e for e in kept if e.pack == pack]
            if not stay:
                continue
            blob = backend.load(f"customers/{cid}/{pack}")
            for e in stay:
                new_pack, off, length = writer.add_sealed(group, blob[e.offset:e.offset + e.length])
                moved[(e.pack, e.offset)] = e._replace(pack=new_pack, offset=off)
            result["packs_rewritten"] += 1
        rows = [moved.get((e.pack, e.offset), e) for e in kept]
        result["objects_removed"] += len({e.id for e in gone if e.type != CHUNK})
        result["bytes_removed"] += sum(e.length for e in gone)
        plans.append((group, gfiles, rows, sorted(dirty)))
    writer.flush()  # 2. new packs stored
    for group, gfiles, rows, old_packs in plans:
        _replace_index(store, group, gfiles, rows)  # 3. + 4.
        for pack in old_packs:  # 5.
            try:
                backend.delete(f"customers/{cid}/{pack}")
                result["packs_deleted"] += 1
            except NotFound:
                continue
    store.refresh()
    for year in whole_drop:  # 6.
        dropped = store.drop_retention_year(year)
        result["packs_deleted"] += dropped["packs"]
        result["years_dropped"].append(year)
    store.refresh()
    return result
