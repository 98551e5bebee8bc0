"""The ingest steps, in pipeline order: dedup, parse, classify, store, record, index.

The ledger is part of the store step: the vault appends every committed object's
SHA-256 to the customer's ledger and seals Merkle batches on commit.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from kustos.archive import documents
from kustos.archive.models import Folder, IngestCounter, Mailbox, Message, MessageRef
from kustos.archive.pipeline import fast_insert
from kustos.archive.pipeline.contract import BatchContext, Work
from kustos.archive.pipeline.ingest_rules import IngestRulesStep
from kustos.archive.pipeline.parsing import parse_many
from kustos.core.ids import new_id
from kustos.lifecycle.services import classify
from kustos.search import IndexOutdated


class DedupStep:
    """Mark items whose exact bytes are already archived for this customer."""

    name = "dedup"

    def run(self, batch: list[Work], ctx: BatchContext) -> None:
        hashes = {w.sha256 for w in batch}
        known = {m.sha256: m for m in Message.objects.filter(customer=ctx.customer, sha256__in=hashes)}
        for w in batch:
            # The same bytes twice in one batch are stored once: RecordStep reuses the first row.
            w.existing = known.get(w.sha256)


class ParseStep:
    """Parse new messages (in worker processes when a pool is given). Never fails a message."""

    name = "parse"

    def run(self, batch: list[Work], ctx: BatchContext) -> None:
        todo = [w for w in batch if w.existing is None and w.parsed is None]
        for w, parsed in zip(todo, parse_many([w.item.raw for w in todo], ctx.parse_pool), strict=True):
            w.parsed = parsed


class ClassifyStep:
    """Retention class and year of the pack group: an ingest rule's short retention, else the
    customer's mailbox/folder/from rules (``lifecycle.services.classify``; query rules are
    applied later), else the longest period."""

    name = "classify"

    def run(self, batch: list[Work], ctx: BatchContext) -> None:
        if "classifier" not in ctx.cache:
            ctx.cache["classifier"] = classify.Classifier.for_customer(ctx.customer)
        for w in batch:
            if w.existing is None:
                classify.at_ingest(ctx.cache["classifier"], w, ctx.customer)


class StoreStep:
    """Put raw bytes (and originals such as .msg files) into the vault, plus the batch's
    arrival records (mailbox, folders, envelope; one ``mailrefs`` object per retention
    year) so the database can be rebuilt from the vault alone; then commit, which also
    appends the ledger."""

    name = "store"

    def run(self, batch: list[Work], ctx: BatchContext) -> None:
        store = ctx.vault_store
        records: dict[int | None, list[dict]] = {}
        ids: dict[str, str] = {}  # the same bytes twice in a batch become one message
        batch_id = new_id("ib")  # with "pos": `vault recover` replays arrivals in the sequence's order
        for pos, w in enumerate(batch):
            if w.excluded:
                continue
            w.archive_id = w.existing.id if w.existing is not None else ids.setdefault(w.sha256, new_id("ms"))
            if w.existing is None:
                w.vault_id = store.put(w.item.raw, kind="mail", retention_year=w.retention_year).id
                if w.item.original is not None:
                    w.original_vault_id = store.put(w.item.original, kind=w.item.original_kind or "original",
                                                    retention_year=w.retention_year).id
            else:
                w.vault_id, w.original_vault_id = w.existing.vault_id, w.existing.original_vault_id
            year = w.retention_year if w.existing is None else w.existing.retention_year
            records.setdefault(year, []).append({**documents.mailref(w, year), "message_id": w.archive_id,
                                                 "batch": batch_id, "pos": pos})
        for year, rows in records.items():
            store.put(documents.encode_mailrefs(rows), kind="mailrefs", retention_year=year)
        if records:
            store.commit()


class RecordStep:
    """Create Message rows with gap-free sequence numbers, and a MessageRef per arrival.

    Set-based: one query for known references, bulk inserts for messages and refs,
    mailbox/folder rows cached per customer, so a batch costs a handful of statements.
    """

    name = "record"

    def run(self, batch: list[Work], ctx: BatchContext) -> None:
        with transaction.atomic():
            new_rows = self._messages(batch, ctx)
            planned = self._planned_refs(batch, ctx)
            existing = set(MessageRef.objects.filter(message_id__in={m for m, _ in planned})
                           .values_list("message_id", "folder_id"))
            rows, seen = [], set()
            for (msg_id, folder_id), (w, mailbox_id) in planned.items():
                if (msg_id, folder_id) in existing or (msg_id, folder_id) in seen:
                    continue
                seen.add((msg_id, folder_id))
                rows.append(MessageRef(message_id=msg_id, folder_id=folder_id, mailbox_id=mailbox_id,
                                       source=w.item.source, source_ref=w.item.source_ref[:300],
                                       envelope_from=w.item.envelope_from, envelope_to=w.item.envelope_to,
                                       received_at=w.item.received_at, flags=list(w.item.flags)))
                if w.new_refs != -1:
                    w.new_refs += 1
            fast_insert.insert(Message, new_rows)
            fast_insert.insert(MessageRef, rows, ignore_conflicts=True)

    def _messages(self, batch: list[Work], ctx: BatchContext) -> list[Message]:
        # Authoritative dedup inside the transaction: a message may have been recorded since
        # DedupStep looked (the previous, overlapping batch or a concurrent ingest).
        fresh = {w.sha256 for w in batch if w.existing is None}
        if fresh:
            known = {m.sha256: m for m in Message.objects.filter(customer=ctx.customer, sha256__in=fresh)}
            for w in batch:
                if w.existing is None and w.sha256 in known:
                    w.existing = known[w.sha256]
        by_hash: dict[str, Message] = {}
        new = [w for w in batch if w.existing is None and not w.excluded]
        seq = self._reserve(ctx, len({w.sha256 for w in new}))
        rows = []
        for w in batch:
            if w.excluded:
                continue
            msg = w.existing or by_hash.get(w.sha256)
            if msg is None:
                seq += 1
                msg = documents.message_row(
                    ctx.customer, parsed=w.parsed, sha256=w.sha256, vault_id=w.vault_id, size=len(w.item.raw),
                    seq=seq, retention_year=w.retention_year, kind=w.item.kind,
                    original_vault_id=w.original_vault_id, original_kind=w.item.original_kind or "")
                msg.id = w.archive_id or msg.id  # the id the vault's mailref records
                classify.stamp_row(msg, w)  # retention class, rule and version
                by_hash[w.sha256] = msg
                rows.append(msg)
                w.new_refs = -1  # marks the creating item
            w.message = msg
        return rows

    def _reserve(self, ctx: BatchContext, count: int) -> int:
        counter, _ = IngestCounter.objects.select_for_update().get_or_create(customer=ctx.customer)
        start = counter.last_seq
        if count:
            IngestCounter.objects.filter(pk=counter.pk).update(last_seq=F("last_seq") + count)
        return start

    def _planned_refs(self, batch: list[Work], ctx: BatchContext) -> dict[tuple[str, int], tuple[Work, int]]:
        cache = ctx.cache.setdefault("folders", {})
        planned: dict[tuple[str, int], tuple[Work, int]] = {}
        for w in batch:
            if w.excluded or w.message is None:
                continue
            address = w.item.mailbox.strip().lower()
            for path in w.item.folders or [""]:
                key = (address, path)
                if key not in cache:
                    mailbox, _ = Mailbox.objects.get_or_create(customer=ctx.customer, address=address)
                    folder, _ = Folder.objects.get_or_create(mailbox=mailbox, path=path)
                    cache[key] = (mailbox.id, folder.id)
                mailbox_id, folder_id = cache[key]
                planned.setdefault((w.message.id, folder_id), (w, mailbox_id))
        return planned


class IndexStep:
    """(Re-)index new messages and messages that gained mailboxes or folders."""

    name = "index"

    def run(self, batch: list[Work], ctx: BatchContext) -> None:
        parsed_by_id = {w.message.id: w.parsed for w in batch if w.message is not None and w.parsed is not None}
        changed = {w.message.id: w.message for w in batch if w.message is not None and w.new_refs != 0}
        if not changed:
            return
        docs = documents.build_documents(ctx, list(changed.values()), parsed_by_id)
        try:
            ctx.index.add(docs)
            ctx.index.commit()
        except IndexOutdated:
            # Built by an older analysis (an upgrade): the messages stay unindexed, the Ingestor
            # starts the customer's rebuild, which indexes every message.
            ctx.cache["index_outdated"] = True
            return
        Message.objects.filter(id__in=list(changed)).update(indexed=True)


PIPELINE = (DedupStep(), ParseStep(), IngestRulesStep(), ClassifyStep(), StoreStep(), RecordStep(), IndexStep())
