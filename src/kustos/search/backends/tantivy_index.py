"""TantivyIndex: one tantivy index directory per customer under ``base_dir``.

One writer per customer index and process; tantivy's lock file stops a second process
from writing at the same time (we wait up to ``lock_timeout`` seconds, then raise
IndexBusy). Writers stay open between commits (opening one costs threads and heap) and
are released by ``close()`` -- or after every commit with ``hold_writer=False``, for
several processes writing the same customer in turns. Other processes' commits become
visible to this instance's searches within about half a second (tantivy reloads on commit).

At most ``open_indexes`` customer indexes stay open (least recently used first out): an evicted
customer's writer is released (its lock freed) and its reader closed, so the file handles and
memory of a process serving a thousand customers stay flat. An index with uncommitted writes is
never evicted; it leaves at the next commit. The next use of an evicted customer opens it again.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import tantivy

from kustos.search.backends.tantivy_facets import facets
from kustos.search.backends.tantivy_query import TantivyCompiler, filtered, with_recency
from kustos.search.backends.tantivy_schema import SCHEMA_VERSION, build_schema, open_index, to_tantivy
from kustos.search.base import IndexBusy, IndexOutdated, IndexRebuilding, SearchIndex, check_customer
from kustos.search.document import Document
from kustos.search.query.parser import parse_query
from kustos.search.ranking import effective_sort
from kustos.search.snippets import Highlighter
from kustos.search.types import Hit, SearchRequest, SearchResult, visible_folders, visible_mailboxes

_VERSION_FILE = "kustos-schema-version"
_REBUILDING_DIR = ".rebuilding"  # one file per customer whose index is being rebuilt (outside its directory)


class SchemaMismatch(IndexOutdated):
    def __init__(self, path: Path, found: str) -> None:
        super().__init__(path.name, repr(found), str(SCHEMA_VERSION))
        self.path = path


class TantivyIndex(SearchIndex):
    """Contract: see SearchIndex. ``heap_bytes``/``bulk_heap_bytes`` size the writer's buffer
    (split over ``threads``; 0 = tantivy's choice). One indexing thread is the default: on
    small machines the ingest pipeline's parser processes need the other cores, and measured
    throughput with two threads was no better."""

    def __init__(
        self,
        base_dir: Path,
        heap_bytes: int = 64 * 1024 * 1024,
        bulk_heap_bytes: int = 128 * 1024 * 1024,
        threads: int = 1,
        lock_timeout: float = 30.0,
        hold_writer: bool = True,
        open_indexes: int = 64,
    ) -> None:
        self.base_dir = Path(base_dir)
        self.heap_bytes = heap_bytes
        self.bulk_heap_bytes = bulk_heap_bytes
        self.threads = threads
        self.lock_timeout = lock_timeout
        self.hold_writer = hold_writer
        self.open_indexes = max(1, open_indexes)
        self.schema = build_schema()
        self._indexes: OrderedDict[str, tantivy.Index] = OrderedDict()  # least recently used first
        self._writers: dict[str, tantivy.IndexWriter] = {}
        self._dirty: set[str] = set()
        self._bulk = False
        self._writers_bulk = False  # writers were opened with the bulk heap
        # Writes from several threads share one writer per customer; searches need no lock.
        self._lock = threading.RLock()

    # -- plumbing ---------------------------------------------------------------
    def _path(self, customer: str) -> Path:
        return self.base_dir / check_customer(customer)

    def _index(self, customer: str, create: bool) -> tantivy.Index | None:
        index = self._indexes.get(customer)  # the open index, without waiting for a writing thread
        if index is not None:
            try:
                self._indexes.move_to_end(customer)
            except KeyError:
                pass  # evicted meanwhile: this caller still uses the object it holds
            return index
        with self._lock:
            index = self._indexes.get(customer)
            if index is not None:
                return index
            index = self._open(customer, create)
            if index is not None:
                self._indexes[customer] = index
                self._evict(keep=customer)
            return index

    def _open(self, customer: str, create: bool) -> tantivy.Index | None:
        path = self._path(customer)
        version_file = path / _VERSION_FILE
        if not version_file.exists():
            if not create:
                return None
            path.mkdir(parents=True, exist_ok=True)
            index = open_index(self.schema, str(path))
            version_file.write_text(str(SCHEMA_VERSION))
        else:
            found = version_file.read_text().strip()
            if found != str(SCHEMA_VERSION):
                raise SchemaMismatch(path, found)
            index = open_index(self.schema, str(path))
        return index

    def _evict(self, keep: str = "") -> None:
        """Close least recently used indexes beyond ``open_indexes`` (never one with uncommitted writes,
        nor ``keep``, the one just opened for a caller)."""
        excess = len(self._indexes) - self.open_indexes
        for customer in list(self._indexes):
            if excess <= 0:
                return
            if customer in self._dirty or customer == keep:
                continue
            writer = self._writers.pop(customer, None)
            if writer is not None:
                writer.rollback()  # nothing uncommitted (not dirty); frees the writer's lock file
                writer.wait_merging_threads()
            del self._indexes[customer]
            excess -= 1

    def _writer(self, customer: str) -> tantivy.IndexWriter:
        writer = self._writers.get(customer)
        if writer is not None:
            return writer
        index = self._index(customer, create=True)
        assert index is not None
        heap = self.bulk_heap_bytes if self._bulk else self.heap_bytes
        deadline = time.monotonic() + self.lock_timeout
        while True:
            try:
                writer = index.writer(heap, self.threads)
                break
            except ValueError as exc:
                if "LockBusy" not in str(exc) or time.monotonic() >= deadline:
                    if "LockBusy" in str(exc):
                        raise IndexBusy(customer, self.lock_timeout) from exc
                    raise
                time.sleep(0.1)
        self._writers[customer] = writer
        self._writers_bulk = self._bulk
        return writer

    def _set_bulk(self, on: bool) -> None:
        with self._lock:
            # Writers keep the heap they were opened with: entering bulk mode commits pending
            # writes and reopens writers with the bulk heap; commit() after bulk mode drops them.
            if on and not self._bulk:
                self.commit()
                self._release_writers()
            self._bulk = on

    def _release_writers(self) -> None:
        for writer in self._writers.values():
            writer.wait_merging_threads()
        self._writers.clear()
        self._writers_bulk = False

    # -- writes -------------------------------------------------------------------
    def add(self, docs: Iterable[Document]) -> None:
        with self._lock:
            for doc in docs:
                doc.validate()
                writer = self._writer(doc.customer)
                writer.delete_documents_by_term("id", doc.id)
                writer.add_document(to_tantivy(doc))
                self._dirty.add(doc.customer)

    def delete(self, customer: str, ids: Iterable[str]) -> None:
        with self._lock:
            writer = self._writer(customer)
            for doc_id in ids:
                writer.delete_documents_by_term("id", doc_id)
            self._dirty.add(customer)

    def clear(self, customer: str) -> None:
        with self._lock:
            if self._index(customer, create=False) is None:
                return
            self._writer(customer).delete_all_documents()
            self._dirty.add(customer)

    def commit(self) -> None:
        with self._lock:
            if self._bulk:
                return
            for customer in sorted(self._dirty):
                self._writers[customer].commit()
                self._indexes[customer].reload()
            self._dirty.clear()
            if self._writers_bulk or not self.hold_writer:
                self._release_writers()
            self._evict()

    def rollback(self) -> None:
        with self._lock:
            for writer in self._writers.values():
                writer.rollback()
            self._dirty.clear()
            if self._writers_bulk and not self._bulk:
                self._release_writers()

    def close(self) -> None:
        with self._lock:
            for writer in self._writers.values():
                writer.rollback()
            self._release_writers()
            self._indexes.clear()
            self._dirty.clear()

    def destroy(self, customer: str) -> None:
        """Delete the customer's index directory (crypto-shredding / customer removal)."""
        with self._lock:
            writer = self._writers.pop(customer, None)
            if writer is not None:
                writer.rollback()
                writer.wait_merging_threads()
            self._indexes.pop(customer, None)
            self._dirty.discard(customer)
            shutil.rmtree(self._path(customer), ignore_errors=True)

    def set_rebuilding(self, customer: str, since: str | None) -> None:
        marker = self.base_dir / _REBUILDING_DIR / check_customer(customer)
        if since is None:
            marker.unlink(missing_ok=True)
            return
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(since)

    # -- reads --------------------------------------------------------------------
    def count(self, customer: str) -> int:
        index = self._index(customer, create=False)
        if index is None:
            return 0
        index.reload()  # exact even right after another process's commit (~0.4 ms)
        return index.searcher().num_docs

    def search(self, request: SearchRequest) -> SearchResult:
        request.validate()
        ast = parse_query(request.query)
        marker = self.base_dir / _REBUILDING_DIR / check_customer(request.customer)
        if marker.exists():
            raise IndexRebuilding(request.customer, marker.read_text().strip())
        index = self._index(request.customer, create=False)
        if index is None:
            return SearchResult(0, [], None)
        searcher = index.searcher()
        text = TantivyCompiler(self.schema, request.mailbox_filter, searcher).compile(ast)
        query = filtered(self.schema, request, text)
        limit = max(request.limit, 1)  # tantivy panics on 0; limit=0 means "count only"
        sort = effective_sort(request.sort, ast)
        if sort == "date":
            result = searcher.search(
                query, limit, count=True, order_by_field="date", offset=request.offset, order=tantivy.Order.Desc
            )
        else:
            if sort == "best":  # relevance times the recency step; equal scores: newest first
                result = searcher.search(with_recency(self.schema, query, text), limit, count=True,
                                         offset=request.offset, weight_by_field="date_weight")
            else:
                result = searcher.search(query, limit, count=True, offset=request.offset)
        highlighter = Highlighter(ast)
        allowed = request.mailbox_filter
        hits = []
        for key, address in result.hits[: request.limit]:
            doc = searcher.doc(address)
            hits.append(_hit(doc, 0.0 if sort == "date" else float(key), highlighter, allowed))
        facet_counts = facets(searcher, query, allowed) if request.facets else None
        total: int = getattr(result, "count", None) or 0  # present at runtime; missing from the stubs
        return SearchResult(total, hits, facet_counts)


def _hit(doc: tantivy.Document, score: float, highlighter: Highlighter, allowed: list[str] | None) -> Hit:
    date = doc.get_first("date")
    if not isinstance(date, datetime):
        date = datetime.fromtimestamp(0, UTC)
    froms = doc.get_all("from")
    return Hit(
        id=str(doc.get_first("id")),
        score=score,
        date=date if date.tzinfo else date.replace(tzinfo=UTC),
        snippet=highlighter.make(
            doc.get_first("body") or "", doc.get_first("attachment") or "", doc.get_first("subject") or ""
        ),
        subject=doc.get_first("subject") or "",
        from_=froms[0] if froms else "",
        size=int(doc.get_first("size") or 0),
        has_attachment=bool(doc.get_first("has_attachment")),
        mailboxes=visible_mailboxes(doc.get_all("mailbox"), allowed),
        folders=visible_folders(doc.get_all("folder"), allowed),
        restricted=bool(doc.get_first("restricted")),
    )
