"""Rebuilding the archive's database rows and search index from the vault alone.

The vault holds every message's raw bytes and a ``mailref`` record per arrival
(mailbox, folders, envelope). Replaying the mailrefs in ledger order recreates the
Message rows with the same gap-free sequence and every MessageRef; the search index is
then rebuilt from those rows and the raw bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction

from kustos.archive import documents, index_admin, retention
from kustos.archive.models import Folder, IngestCounter, Mailbox, Message, MessageRef
from kustos.archive.pipeline.contract import BatchContext
from kustos.core import runtime
from kustos.mail import parse
from kustos.tenants.models import Customer

BATCH = 500


def _mailrefs(store: Any) -> list[dict[str, Any]]:
    """Every arrival record in the order the vault committed them (ledger sequence)."""
    entries = sorted((e for e in store.objects().values() if e.kind == "mailrefs"), key=lambda e: e.seq)
    return [record for e in entries for record in documents.decode_mailrefs(store.get(e.id))]


def rebuild_database(customer: Customer, progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Recreate Message/MessageRef rows missing from the database; existing rows are kept."""
    store = runtime.store_for(customer.id)
    known = dict(Message.objects.filter(customer=customer).values_list("sha256", "id"))
    created = refs = 0
    with transaction.atomic():
        counter, _ = IngestCounter.objects.select_for_update().get_or_create(customer=customer)
        seq = counter.last_seq
        for record in _mailrefs(store):
            msg_id = known.get(record["sha256"])
            if msg_id is None:
                seq += 1
                msg = _message(customer, store, record, seq)
                known[record["sha256"]] = msg.id
                created += 1
                if progress:
                    progress(1)
            else:
                msg = Message(id=msg_id, customer=customer)
            refs += _refs(customer, msg, record)
        IngestCounter.objects.filter(pk=counter.pk).update(last_seq=seq)
    return {"messages": created, "refs": refs}


def _message(customer: Customer, store: Any, record: dict[str, Any], seq: int) -> Message:
    raw = store.get(record["vault_id"])
    parsed = parse(raw)
    msg = documents.message_row(
        customer, parsed=parsed, sha256=record["sha256"], vault_id=record["vault_id"], size=len(raw), seq=seq,
        retention_year=record.get("retention_year") or retention.expiry_year(parsed.date), kind=record.get("kind", "message"),
        original_vault_id=record.get("original_vault_id", ""), original_kind=record.get("original_kind", ""))
    msg.save(force_insert=True)
    return msg


def _refs(customer: Customer, msg: Message, record: dict[str, Any]) -> int:
    mailbox, _ = Mailbox.objects.get_or_create(customer=customer, address=record["mailbox"])
    created = 0
    for path in record.get("folders") or [""]:
        folder, _ = Folder.objects.get_or_create(mailbox=mailbox, path=path)
        _, new = MessageRef.objects.get_or_create(
            message_id=msg.id, folder=folder,
            defaults={"mailbox": mailbox, "source": record.get("source", ""), "source_ref": record.get("source_ref", ""),
                      "envelope_from": record.get("envelope_from", ""), "envelope_to": record.get("envelope_to", [])})
        created += int(new)
    return created


def rebuild_index(customer: Customer, progress: Callable[[int], None] | None = None) -> int:
    """Drop the customer's search index and index every message again from the vault."""
    index = runtime.search_index()
    index_admin.drop(index, customer.id)
    ctx = BatchContext(customer=customer, vault_store=runtime.store_for(customer.id), index=index)
    done = 0
    ids = list(Message.objects.filter(customer=customer).order_by("seq").values_list("id", flat=True))
    for start in range(0, len(ids), BATCH):
        chunk = list(Message.objects.filter(id__in=ids[start:start + BATCH]))
        index.add(documents.build_documents(ctx, chunk, {}))
        index.commit()
        done += len(chunk)
        if progress:
            progress(len(chunk))
    Message.objects.filter(customer=customer).update(indexed=True)
    return done


def recover_customer(customer: Customer, progress: Callable[[int], None] | None = None) -> dict[str, int]:
    rows = rebuild_database(customer, progress)
    return {**rows, "indexed": rebuild_index(customer, progress)}
