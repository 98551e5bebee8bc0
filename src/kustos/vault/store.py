"""One customer's object store: put (dedup, compress, encrypt, pack), commit, get.

Contracts:

- ``put`` returns at once with the object id; the object becomes durable and readable only
  when ``commit`` returns (pack files, then index files are stored atomically; the index
  file is the commit point). A crash before that leaves only unreferenced leftovers.
- Deduplication is per customer by keyed BLAKE3 id. Data already stored in a retention
  group that lives at least as long is reused; otherwise it is stored again in the longer
  group (so dropping a year never removes data still needed by a later one). The first
  put's ``kind`` and ``meta`` stay attached to deduplicated content.
- One writer per customer: the first ``put`` takes the customer's writer lock
  (:mod:`kustos.vault.locks`; on S3 also a lock object), ``commit``/``abort`` release it.
  Backups hold the shared repository lock (:meth:`shared`), forget/prune the exclusive
  one (:meth:`exclusive`), see :mod:`kustos.vault.replock`. Readers never lock; they see
  commits of other processes after :meth:`refresh` (done automatically on a miss).
- A store object is not thread-safe; use one per thread.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

from kustos.vault import index as idx
from kustos.vault.chunking import Chunker
from kustos.vault.compress import Compressor
from kustos.vault.generation import WriterGeneration
from kustos.vault.ids import IdHasher, object_id
from kustos.vault.index import BLOB, CHUNK, TREE, Entry
from kustos.vault.keys import DataKey
from kustos.vault.ledger.log import Ledger
from kustos.vault.locks import WriterLock
from kustos.vault.options import StoreContext
from kustos.vault.packed import Blocks, EntryMap, max_seq, pack_rows
from kustos.vault.packs import PackWriter, retain_until
from kustos.vault.policy import Policy, select
from kustos.vault.prune import prune
from kustos.vault.reader import tree_payload
from kustos.vault.replock import REPO, WRITER, BackendLock
from kustos.vault.retention import drop_year
from kustos.vault.snapshots import Snapshots
from kustos.vault.store_read import StoreReader
from kustos.vault.usage import UsageCounter

PIPELINE_STEP = 64  # put_many: objects per compression step (hashing overlaps compression)


@dataclass(frozen=True)
class PutResult:
    id: str
    sha256: str  # hex SHA-256 of the plaintext
    size: int
    stored_size: int  # bytes added to packs by this put (0 for a dedup hit)
    new: bool  # False when the content was already stored


class CustomerStore(StoreReader):
    def __init__(self, ctx: StoreContext, key: DataKey):
        self.ctx = ctx
        self.key = key
        self.customer_id = key.customer_id
        opts = ctx.options
        self.compressor = Compressor(ctx.backend, self.customer_id, key.enc_key, level=opts.zstd_level,
                                     dict_size=opts.dict_size, train_at=opts.train_at,
                                     retrain_every=opts.retrain_every, background=opts.train_in_background)
        self.chunker = Chunker(opts.chunk_avg, opts.chunk_threshold)
        remote = self.backend_lock(WRITER, exclusive=True) if remote_writer_lock(ctx) else None
        self._lock = WriterLock(ctx.lock_dir, self.customer_id, opts.lock_timeout, remote)
        self.generation = WriterGeneration(ctx.backend, self.customer_id)
        self._lock.on_acquire = self.generation.claimed
        self._files: dict[str, Sequence[Entry]] = {}
        self.index_errors: dict[str, str] = {}
        self._blocks = Blocks()
        self._objects = EntryMap(self._blocks)
        self._chunks = EntryMap(self._blocks)
        self._max_seq = 0
        self._writer: PackWriter | None = None
        self._pending: list[Entry] = []
        self._pending_map: dict[tuple[str, str], Entry] = {}
        self._bulk_pool: ThreadPoolExecutor | None = None
        self.committed_bytes = 0  # pack bytes this store object committed (snapshot new_bytes)
        self.ledger = Ledger(self)
        self._usage = UsageCounter()
        self.snapshots = Snapshots(self)
        self.refresh()

    # --- index --------------------------------------------------------------------------
    def refresh(self) -> None:
        """Pick up index files committed (or dropped) by other writers since the last look."""
        self._refresh()
        self.generation.fresh()

    def _refresh(self) -> None:
        state = idx.load_index(self.ctx.backend, self.ctx.cache, self.customer_id, self.key.enc_key,
                               known=self._files)
        if state.files.keys() == self._files.keys() and not state.errors:
            return  # nothing changed (the common case on a read miss)
        files = {name: pack_rows(rows) for name, rows in state.files.items()}
        if not state.errors and not self.index_errors and self._files.keys() <= files.keys():
            # Only new index files (other writers' commits): add their rows, keep the rest.
            for name in files.keys() - self._files.keys():
                _add_rows(self._blocks, self._objects, self._chunks, files[name])
                self._max_seq = max(self._max_seq, max_seq(files[name]))
            self._files = files
            self.ledger.reload()
            return
        blocks = Blocks()
        objects, chunks = EntryMap(blocks), EntryMap(blocks)
        top = 0
        for rows in files.values():
            _add_rows(blocks, objects, chunks, rows)
            top = max(top, max_seq(rows))
        # Swap whole tables so concurrent readers in other threads never see a half-built index.
        self._blocks, self._objects, self._chunks, self._max_seq = blocks, objects, chunks, top
        self._files = files
        self.index_errors = state.errors
        self.ledger.reload()

    def entries(self, after_seq: int = 0) -> list[Entry]:
        """Every committed index entry (all locations, chunks included); with ``after_seq``,
        at least those with a higher ledger sequence (index files with none are skipped)."""
        return [e for es in self._files.values() if not after_seq or max_seq(es) > after_seq for e in es]

    @property
    def index_files(self) -> dict[str, Sequence[Entry]]:
        return self._files

    def _find(self, table: str, blob_id: str, year: int | None, pool: str = "") -> Entry | None:
        entry = self._pending_map.get((table, blob_id))
        if entry is None or not idx.usable(entry, year, pool):
            entry = (self._chunks if table == CHUNK else self._objects).get(blob_id)
        if entry is not None and idx.usable(entry, year, pool):
            return entry
        return None

    # --- writing ------------------------------------------------------------------------
    def _begin(self) -> PackWriter:
        if self._writer is None:
            self._lock.acquire()
            try:
                if self.generation.needs_refresh():  # another writer held the lock since we did
                    self.refresh()
                    self.ledger.reload()
                # Sealed batches outlive dropped retention years: never reuse their numbers.
                self._max_seq = max(self._max_seq, self.ledger.sealed_upto)
                self.compressor.load_latest()
            except BaseException:
                self._lock.release()
                raise
            self._writer = PackWriter(self.ctx.backend, self.customer_id, self.key.enc_key,
                                      self.ctx.options.pack_size)
        return self._writer

    def _stage(self, entry: Entry) -> None:
        self._pending.append(entry)
        self._pending_map[(CHUNK if entry.type == CHUNK else BLOB, entry.id)] = entry

    def put(self, data: bytes | bytearray | memoryview | BinaryIO, kind: str,
            retention_year: int | None = None, meta: dict[str, Any] | None = None, pool: str = "") -> PutResult:
        """Stage an object (bytes or a binary stream); durable after :meth:`commit`.

        ``pool=index.BACKUP`` puts a backup object: kept while a snapshot references it
        (``prune`` deletes it afterwards); archive objects (``pool=""``) are never pruned.
        A stream is read and chunked piece by piece (memory does not grow with its size).
        """
        if pool not in ("", idx.BACKUP):
            raise ValueError(f"unknown object pool {pool!r} (use '' or {idx.BACKUP!r})")
        if pool and retention_year is not None:
            raise ValueError("backup objects have no retention year (snapshot retention applies)")
        writer = self._begin()
        threshold = self.chunker.threshold
        if isinstance(data, (bytes, bytearray, memoryview)):
            head, rest = bytes(data), None
        else:
            head = data.read(threshold + 1)
            rest = data if len(head) > threshold else None
        if len(head) <= threshold:
            return self._put_whole(writer, head, kind, retention_year, meta, pool)
        return self._put_chunked(writer, head, rest, kind, retention_year, meta, pool)

    def _put_whole(self, writer: PackWriter, data: bytes, kind: str, year: int | None,
                   meta: dict[str, Any] | None, pool: str = "") -> PutResult:
        oid = object_id(self.key.id_key, data)
        found = self._find(BLOB, oid, year, pool)
        if found is not None:
            return PutResult(oid, found.sha256, found.size, 0, False)
        sha = hashlib.sha256(data).hexdigest()
        self.compressor.observe(data)
        method, payload = self.compressor.compress(data)
        pack, off, length = writer.add(pool or idx.group_of(year), BLOB, oid, payload)
        self._stage(Entry(oid, BLOB, pack, off, length, len(data), method, kind, year, 0, sha, time.time(), meta,
                          pool))
        return PutResult(oid, sha, len(data), length, True)

    def put_many(self, items: Sequence[bytes], kind: str, retention_year: int | None = None,
                 metas: Sequence[dict[str, Any] | None] | None = None, threads: int = -1) -> list[PutResult]:
        """Stage many objects at once (bulk import): same results as repeated :meth:`put`,
        but small objects are compressed in parallel on ``threads`` cores (-1 = all) while
        the next ones are hashed (a pipeline of sub-batches)."""
        writer = self._begin()
        metas = metas if metas is not None else [None] * len(items)
        results: list[PutResult | None] = [None] * len(items)
        shas: dict[str, str] = {}  # ids first seen in this call -> sha256
        if self._bulk_pool is None:
            self._bulk_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vault-compress")
        in_flight: tuple[list[tuple[int, str, str]], Future[list[tuple[str, bytes]]]] | None = None
        for start in range(0, len(items), PIPELINE_STEP):
            todo: list[tuple[int, str, str]] = []  # (position, id, sha256) to compress and store
            for pos in range(start, min(start + PIPELINE_STEP, len(items))):
                data = items[pos]
                if len(data) > self.chunker.threshold:
                    results[pos] = self.put(data, kind, retention_year, metas[pos])
                    continue
                oid = object_id(self.key.id_key, data)
                found = self._find(BLOB, oid, retention_year)
                if found is not None or oid in shas:
                    results[pos] = PutResult(oid, found.sha256 if found else shas[oid], len(data), 0, False)
                    continue
                shas[oid] = hashlib.sha256(data).hexdigest()
                todo.append((pos, oid, shas[oid]))
                self.compressor.observe(data)
            job = self.compressor.bulk_job([bytes(items[p]) for p, _, _ in todo], threads)
            submitted = (todo, self._bulk_pool.submit(job))
            if in_flight is not None:
                self._place(writer, in_flight, items, kind, retention_year, metas, results)
            in_flight = submitted
        if in_flight is not None:
            self._place(writer, in_flight, items, kind, retention_year, metas, results)
        return [r for r in results if r is not None]

    def _place(self, writer: PackWriter, job: tuple[list[tuple[int, str, str]], Future[list[tuple[str, bytes]]]],
               items: Sequence[bytes], kind: str, year: int | None, metas: Sequence[dict[str, Any] | None],
               results: list[PutResult | None]) -> None:
        """Seal and append the compressed results of one pipeline step, in input order."""
        todo, future = job
        group = idx.group_of(year)
        for (pos, oid, sha), (method, payload) in zip(todo, future.result(), strict=True):
            pack, off, length = writer.add(group, BLOB, oid, payload)
            size = len(items[pos])
            self._stage(Entry(oid, BLOB, pack, off, length, size, method, kind, year, 0, sha, time.time(), metas[pos]))
            results[pos] = PutResult(oid, sha, size, length, True)

    def _put_chunked(self, writer: PackWriter, head: bytes, rest: BinaryIO | None, kind: str,
                     year: int | None, meta: dict[str, Any] | None, pool: str = "") -> PutResult:
        hasher, sha, group = IdHasher(self.key.id_key), hashlib.sha256(), pool or idx.group_of(year)
        chunks: list[tuple[str, int]] = []
        staged: list[Entry] = []
        stored = total = 0
        for chunk in self.chunker.chunks(head, rest):
            hasher.update(chunk)
            sha.update(chunk)
            total += len(chunk)
            cid = object_id(self.key.id_key, chunk)
            chunks.append((cid, len(chunk)))
            if self._find(CHUNK, cid, year, pool) is not None or any(e.id == cid for e in staged[-64:]):
                continue
            method, payload = self.compressor.compress(chunk, use_dict=False)
            pack, off, length = writer.add(group, CHUNK, cid, payload)
            entry = Entry(cid, CHUNK, pack, off, length, len(chunk), method, "chunk", year, 0, "", time.time(), None,
                          pool)
            self._stage(entry)
            staged.append(entry)
            stored += length
        oid = hasher.hexdigest()
        found = self._find(BLOB, oid, year, pool)
        if found is not None:
            return PutResult(oid, found.sha256, found.size, stored, False)
        method, payload = self.compressor.compress(tree_payload(chunks), use_dict=False)
        pack, off, length = writer.add(group, TREE, oid, payload)
        self._stage(Entry(oid, TREE, pack, off, length, total, method, kind, year, 0, sha.hexdigest(),
                          time.time(), meta, pool))
        return PutResult(oid, sha.hexdigest(), total, stored + length, True)

    def commit(self) -> int:
        """Make every staged put durable, append ledger entries, release the writer lock.

        Returns the number of new objects committed (dedup hits are not counted).
        """
        writer = self._writer
        if writer is None:
            return 0
        try:
            writer.flush()
            groups = sorted({idx.entry_group(e) for e in self._pending})
            new_objects = 0
            for group in groups:
                # Sequence numbers are assigned group by group in commit order, so a crash
                # between two index files leaves a gap-free ledger prefix.
                rows = []
                for e in self._pending:
                    if idx.entry_group(e) != group:
                        continue
                    if e.type != CHUNK:
                        self._max_seq += 1
                        e = e._replace(seq=self._max_seq)
                        new_objects += 1
                    rows.append(e)
                name = idx.new_index_name(self.customer_id, group)
                self.ctx.backend.store(name, idx.encode(self.customer_id, name, self.key.enc_key, rows),
                                       retain_until(group))
                self._files[name] = packed = pack_rows(rows)
                self.committed_bytes += sum(e.length for e in rows)
                _add_rows(self._blocks, self._objects, self._chunks, packed, rows)
                self._max_seq = max(self._max_seq, max_seq(packed))
                self.ledger.appended([e for e in rows if e.type != CHUNK])
            self.ledger.seal(force=False, _locked=True)
            return new_objects
        finally:
            self._end()

    def abort(self) -> None:
        """Forget staged puts (their pack leftovers are garbage-collected) and release the lock."""
        self._end()

    def _end(self) -> None:
        if self._writer is not None:
            self._writer.discard()
        self._writer = None
        self._pending = []
        self._pending_map = {}
        self._lock.release()

    def has_pending(self) -> bool:
        return self._writer is not None

    def drop_retention_year(self, year: int) -> dict[str, Any]:
        """Delete all objects whose retention expires in ``year`` (whole packs); see retention.py."""
        return drop_year(self, year)

    def locked(self) -> WriterLock:
        """The writer lock (held by callers that write outside put/commit: ledger, retention)."""
        return self._lock

    # --- repository locks, retention, prune, usage -------------------------------------------
    def backend_lock(self, scope: str, exclusive: bool) -> BackendLock:
        opts = self.ctx.options
        return BackendLock(self.ctx.backend, self.customer_id, scope, exclusive, opts.lock_ttl, opts.lock_timeout)

    @contextmanager
    def shared(self) -> Iterator[None]:
        """The shared repository lock a backup run holds (prune waits for it)."""
        with self.backend_lock(REPO, exclusive=False):
            yield

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """The exclusive repository lock plus the writer lock (forget, prune)."""
        if self.has_pending():
            raise RuntimeError("commit or abort staged puts before forget or prune")
        with self.backend_lock(REPO, exclusive=True):
            self._lock.acquire()
            try:
                yield
            finally:
                self._lock.release()

    def forget(self, policy: Policy, match: dict[str, Any] | None = None) -> list[str]:
        """Delete the tree snapshots (whose meta contains ``match``) that ``policy`` does not
        keep; returns their ids. Data goes at the next :meth:`prune`."""
        with self.exclusive():
            candidates = []
            for row in self.snapshots.list():
                if row.get("bytes") is None:
                    continue  # v1 manifests are not backup snapshots
                if match and any(row["meta"].get(k) != v for k, v in match.items()):
                    continue
                candidates.append((row["id"], datetime.fromisoformat(row["time"])))
            _keep, remove = select(policy, candidates)
            for sid in remove:
                self.snapshots.delete(sid)
            return remove

    def prune(self, max_unused: float = 0.0) -> dict[str, Any]:
        """Delete unreferenced backup objects, repack packs with more than ``max_unused``
        unused bytes, compact index files (see :mod:`kustos.vault.prune`)."""
        with self.exclusive():
            return prune(self, max_unused)

    def usage(self) -> dict[str, Any]:
        """Usage from the index (kept up to date by every commit and prune; no backend scan):
        raw bytes of unique objects, stored pack bytes, per pool (archive / backup)."""
        self.refresh()
        raw_bytes, backup_objects = self._objects.total_size, self._objects.backup_count
        stored = self._usage.stored(self._files)
        return {"raw_bytes": raw_bytes, "stored_bytes": stored["archive"] + stored["backup"],
                "objects": len(self._objects), "packs": stored["packs"],
                "archive_stored_bytes": stored["archive"], "backup_stored_bytes": stored["backup"],
                "backup_objects": backup_objects}


def remote_writer_lock(ctx: StoreContext) -> bool:
    mode = ctx.options.backend_locks
    if mode not in ("auto", "on", "off"):
        raise ValueError(f"vault backend_locks must be auto, on or off, not {mode!r}")
    return mode == "on" or (mode == "auto" and ctx.backend.properties().get("kind") == "s3")


def _add_rows(blocks: Blocks, objects: EntryMap, chunks: EntryMap, rows: Sequence[Entry],
              plain: Sequence[Entry] | None = None) -> None:
    """Add one index file's rows to the id tables (``plain``: the same rows unpacked, if at hand)."""
    start = blocks.add(rows)
    for i, entry in enumerate(plain if plain is not None else rows):
        (chunks if entry.type == CHUNK else objects).place(start + i, entry)
