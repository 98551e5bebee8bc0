"""Rebuilding the archive's database rows and search index from the vault alone.

The vault holds every customer's record (``customers/<id>/meta``: name, partner, location),
every message's raw bytes and a ``mailref`` record per arrival (archive id, mailbox, folders,
envelope). ``recover_all`` recreates missing partners, locations and customers with their ids;
replaying the mailrefs in ledger order then recreates the Message rows (same archive ids, a
gap-free sequence) and every MessageRef, skipping messages retention deleted (the content-free
``tombstones`` objects); the search index is rebuilt from those rows and the raw bytes.
Mailrefs written before archive ids were recorded give new ids (reported as ``new_ids``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.dateparse import parse_datetime

from kustos.archive import documents, index_admin, retention
from kustos.archive.models import Folder, IngestCounter, Mailbox, Message, MessageRef
from kustos.archive.pipeline.contract import BatchContext
from kustos.core import runtime
from kustos.mail import parse
from kustos.tenants.models import Customer, Partner, StorageLocation
from kustos.vault import customer_meta
from kustos.vault.errors import VaultError

BATCH = 500


def _mailrefs(store: Any) -> list[dict[str, Any]]:
    """Every arrival record in the order the vault committed them (ledger sequence); inside one
    ingest batch (its mailrefs objects, one per retention year) in the batch's own order, which
    is the order the sequence numbers were given in."""
    entries = sorted((e for e in store.objects().values() if e.kind == "mailrefs"), key=lambda e: e.seq)
    records = [(e.seq, i, record) for e in entries for i, record in enumerate(documents.decode_mailrefs(store.get(e.id)))]
    first: dict[str, int] = {}
    for seq, _, record in records:
        if record.get("batch"):
            first.setdefault(record["batch"], seq)
    records.sort(key=lambda r: (first.get(r[2].get("batch", ""), r[0]), r[2].get("pos", r[1]) if r[2].get("batch")
                                else r[1]))
    return [record for _, _, record in records]


def _tombstoned(store: Any) -> tuple[set[str], set[str]]:
    """SHA-256 and archive ids of messages retention deleted (``tombstones`` objects)."""
    hashes: set[str] = set()
    ids: set[str] = set()
    for entry in store.objects().values():
        if entry.kind != "tombstones":
            continue
        doc = json.loads(store.get(entry.id))
        for row in doc.get("tombstones", []) if isinstance(doc, dict) else doc:
            if row.get("sha256"):
                hashes.add(row["sha256"])
            if row.get("message_id"):
                ids.add(row["message_id"])
    return hashes, ids


def rebuild_database(customer: Customer, progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Recreate Message/MessageRef rows missing from the database; existing rows are kept."""
    store = runtime.store_for(customer.id)
    known = dict(Message.objects.filter(customer=customer).values_list("sha256", "id"))
    taken = set(Message.objects.filter(customer=customer).values_list("id", flat=True))
    gone_hashes, gone_ids = _tombstoned(store)
    created = refs = deleted = new_ids = 0
    with transaction.atomic():
        counter, _ = IngestCounter.objects.select_for_update().get_or_create(customer=customer)
        seq = counter.last_seq
        for record in _mailrefs(store):
            if record["sha256"] in gone_hashes or record.get("message_id") in gone_ids:
                deleted += int(record["sha256"] not in known)
                known.setdefault(record["sha256"], "")
                continue
            msg_id = known.get(record["sha256"])
            if msg_id == "":
                continue
            if msg_id is None:
                archive_id = record.get("message_id") or ""
                if not archive_id or archive_id in taken or Message.objects.filter(id=archive_id).exists():
                    archive_id, new_ids = "", new_ids + 1
                seq += 1
                msg = _message(customer, store, record, seq, archive_id)
                known[record["sha256"]] = msg.id
                taken.add(msg.id)
                created += 1
                if progress:
                    progress(1)
            else:
                msg = Message(id=msg_id, customer=customer)
            refs += _refs(customer, msg, record)
        IngestCounter.objects.filter(pk=counter.pk).update(last_seq=seq)
    return {"messages": created, "refs": refs, "deleted_by_retention": deleted, "new_ids": new_ids}


def _message(customer: Customer, store: Any, record: dict[str, Any], seq: int, archive_id: str = "") -> Message:
    raw = store.get(record["vault_id"])
    parsed = parse(raw)
    msg = documents.message_row(
        customer, parsed=parsed, sha256=record["sha256"], vault_id=record["vault_id"], size=len(raw), seq=seq,
        retention_year=record.get("retention_year") or retention.expiry_year(parsed.date), kind=record.get("kind", "message"),
        original_vault_id=record.get("original_vault_id", ""), original_kind=record.get("original_kind", ""))
    if archive_id:
        msg.id = archive_id
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
                      "envelope_from": record.get("envelope_from", ""), "envelope_to": record.get("envelope_to", []),
                      "received_at": parse_datetime(record["received_at"]) if record.get("received_at") else None,
                      "flags": list(record.get("flags") or [])})
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


def recreate_customer(vault: Any, customer_id: str) -> tuple[Customer | None, str]:
    """The customer row, recreated from its vault record when the database lacks it (with its
    partner and location, same ids). Returns (customer or None, what happened)."""
    existing = Customer.objects.filter(id=customer_id).first()
    if existing is not None:
        return existing, "present"
    try:
        record = customer_meta.read(vault, customer_id)
    except VaultError as exc:
        return None, f"vault record unreadable: {exc}"
    if record is None:
        return None, "no vault record (written before customers were recorded); not recreated"
    with transaction.atomic():
        partner = Partner.objects.filter(id=record["partner_id"]).first()
        if partner is None:
            name = record.get("partner_name") or record["partner_id"]
            if Partner.objects.filter(name=name).exists():
                name = f"{name} ({record['partner_id']})"
            partner = Partner.objects.create(id=record["partner_id"], name=name)
        loc = record.get("location") or {}
        location, _ = StorageLocation.objects.get_or_create(
            id=record["location_id"],
            defaults={"name": loc.get("name") or record["location_id"], "country": loc.get("country") or "DE",
                      "vault_url": loc.get("vault_url", ""),
                      "outside_eu_override": bool(loc.get("outside_eu_override"))})
        services = record.get("services") or []
        customer = Customer.objects.create(
            id=customer_id, partner=partner, name=record.get("name") or customer_id,
            legal_name=record.get("legal_name", ""), customer_number=record.get("customer_number", ""),
            location=location, archiving_enabled="archive" in services, backup_enabled="backup" in services)
        if record.get("created"):
            Customer.objects.filter(id=customer_id).update(created_at=datetime.fromisoformat(record["created"]))
    runtime.forget_location(customer_id)
    return customer, "recreated"


def recreate_locations(vault: Any) -> list[str]:
    """Storage locations missing from the database, from the installation vault's record."""
    created = []
    for row in customer_meta.read_locations(vault):
        _, new = StorageLocation.objects.get_or_create(
            id=row["id"], defaults={"name": row.get("name") or row["id"], "country": row.get("country") or "DE",
                                    "vault_url": row.get("vault_url", ""),
                                    "outside_eu_override": bool(row.get("outside_eu_override"))})
        if new:
            created.append(row["id"])
    return created


def recover_all(vaults: list[Any], progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Recreate missing locations (from the installation vault's record; their vaults are then
    searched too) and customers from every vault's records, then each customer's archive rows
    and search index (``kustos vault recover``). ``vaults[0]`` is the installation's vault."""
    created_locations = recreate_locations(vaults[0]) if vaults else []
    vaults = list(vaults)
    for found in runtime.vaults()[1:]:
        if all(found is not v for v in vaults):
            found.recover()  # a location's vault known only now: rebuild its index caches first
            vaults.append(found)
    customers: dict[str, str] = {}
    archive: dict[str, Any] = {}
    for vault in vaults:
        for customer_id in vault.customers():
            customer, what = recreate_customer(vault, customer_id)
            customers[customer_id] = what
            if customer is None or customer.status != Customer.Status.ACTIVE or customer_id in archive:
                continue
            archive[customer_id] = recover_customer(customer, progress)
    return {"locations_recreated": created_locations, "customers_recreated": sorted(c for c, what in customers.items() if what == "recreated"),
            "customers_skipped": {c: what for c, what in customers.items() if what not in ("present", "recreated")},
            "archive": archive}
