"""Ingest: runs batches of incoming messages through the pipeline for one customer.

Used by imports, the SMTP spool consumer and every pull source. Batches are the unit
of durability: after ``ingest`` returns, every counted message is in the vault (ledger
included), in the database and in the search index.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from itertools import islice

from kustos.archive.documents import build_documents
from kustos.archive.models import Mailbox, Message, Quarantine
from kustos.archive.pipeline.contract import BatchContext, BatchResult, Incoming, Prepared, Work
from kustos.archive.pipeline.parsing import collect, make_pool, submit
from kustos.archive.pipeline.steps import PIPELINE, DedupStep
from kustos.archive.services import ocr_queue, search_rebuild
from kustos.core import runtime
from kustos.lifecycle.services import holds
from kustos.search import IndexOutdated
from kustos.tenants.models import Customer

BATCH_SIZE = 200
# Bulk imports: fewer, larger batches amortise the vault, database and index commits
# (measured on the bulk corpus: ~0.2 s of commits per batch).
IMPORT_BATCH_SIZE = 500


class Ingestor:
    """Holds the customer's vault writer, the search index and the parse pool for a run."""

    def __init__(self, customer: Customer, *, workers: int = 1, batch_size: int = BATCH_SIZE):
        self.customer = customer
        self.batch_size = batch_size
        self.workers = workers
        self.result = BatchResult()

    @contextmanager
    def session(self) -> Iterator[Ingestor]:
        pool = make_pool(self.workers)
        store = runtime.store_for(self.customer.id)
        self.ctx = BatchContext(customer=self.customer, vault_store=store, index=runtime.search_index(),
                                parse_pool=pool)
        try:
            self.reindex_pending()
            yield self
            self._refresh_holds()  # new mail matching an active legal hold
            ocr_queue.schedule(self.customer)  # scanned attachments: OCR in a job of its own, after ingest
            if self.ctx.cache.get("index_outdated"):
                search_rebuild.ensure_started(self.customer)
        finally:
            if store.has_pending():
                store.abort()
            if pool is not None:
                pool.shutdown()
            update_usage(self.customer)

    def ingest(self, items: Iterable[Incoming], progress: Callable[[int], None] | None = None) -> BatchResult:
        """Run all items in batches; batch k+1 is parsed in the pool while batch k is stored."""
        it = iter(items)
        previous: Prepared | None = None
        while batch := list(islice(it, self.batch_size)):
            current = self.prepare(batch)
            if previous is not None:
                self.finish(previous, progress)
            previous = current
        if previous is not None:
            self.finish(previous, progress)
        return self.result

    def prepare(self, items: list[Incoming]) -> Prepared:
        work = [Work.of(item) for item in items]
        DedupStep().run(work, self.ctx)
        new = [w for w in work if w.existing is None]
        return Prepared(work, submit([w.item.raw for w in new], self.ctx.parse_pool))

    def finish(self, prepared: Prepared, progress: Callable[[int], None] | None = None) -> BatchResult:
        work = prepared.work
        if prepared.pending is not None:
            new = [w for w in work if w.existing is None]
            for w, parsed in zip(new, collect(prepared.pending), strict=True):
                w.parsed = parsed
        for step in PIPELINE:
            step.run(work, self.ctx)
        self._count(work)
        ocr_queue.record(self.customer, work)
        if progress:
            progress(len(work))
        return self.result

    def run_batch(self, items: list[Incoming]) -> BatchResult:
        return self.finish(self.prepare(items))

    def _count(self, work: list[Work]) -> None:
        seen: set[str] = set()
        for w in work:
            if w.excluded:
                self.result.excluded += 1
                self.result.excluded_by[w.excluded] = self.result.excluded_by.get(w.excluded, 0) + 1
            elif w.new_refs == -1 and w.sha256 not in seen:
                self.result.add_new(w.message.id, w.message.seq)
            else:
                self.result.duplicates += 1
            seen.add(w.sha256)

    def _refresh_holds(self) -> None:
        done = self.result
        if done.ids_complete:
            holds.refresh_holds(self.customer, done.message_ids)
        elif done.seq_from is not None and done.seq_to is not None:
            holds.refresh_holds_for_seqs(self.customer, done.seq_from, done.seq_to)

    def reindex_pending(self) -> int:
        """Index messages whose rows were committed but whose index commit was lost (a crash)."""
        pending = list(Message.objects.filter(customer=self.customer, indexed=False)[:20000])
        if not pending:
            return 0
        try:
            self.ctx.index.add(build_documents(self.ctx, pending, {}))
            self.ctx.index.commit()
        except IndexOutdated:  # the rebuild this starts (see IndexStep) indexes them
            self.ctx.cache["index_outdated"] = True
            return 0
        Message.objects.filter(id__in=[m.id for m in pending]).update(indexed=True)
        return len(pending)

    def quarantine(self, source: str, source_ref: str, reason: str, data: bytes) -> Quarantine:
        """Keep bad input: its bytes go to the vault, the reason to the database."""
        store = self.ctx.vault_store
        vault_id = ""
        if data:
            vault_id = store.put(data, kind="quarantine").id
            store.commit()
        return Quarantine.objects.create(customer=self.customer, source=source, source_ref=source_ref[:1000],
                                         reason=reason[:500], vault_id=vault_id, size=len(data))


def update_usage(customer: Customer) -> None:
    """Refresh the usage columns shown in the customer table."""
    stats = runtime.vault_for(customer.id).stats(customer.id)
    Customer.objects.filter(id=customer.id).update(
        storage_bytes=int(stats.get("stored_bytes", 0)),
        mailbox_count=Mailbox.objects.filter(customer=customer).count(),
        # the newest message actually archived: a failed or empty run is no activity
        last_activity_at=Message.objects.filter(customer=customer).order_by("-archived_at")
        .values_list("archived_at", flat=True).first(),
    )


