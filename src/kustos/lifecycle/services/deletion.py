"""Deleting approved messages (requirement 11): vault bytes, database rows, search documents,
leaving a tombstone for each (requirement 13).

Order: tombstones object into the vault (committed) → expunge the bytes (rewrite packs, drop
whole retention years whose every message goes) → one transaction: Tombstone rows, delete
Message + MessageRef rows → delete the search documents. A crash at any point is finished by
running the deletion again (every step is idempotent).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db import transaction
from django.utils import timezone

from kustos.archive.models import Message, MessageRef
from kustos.audit.services import record
from kustos.core import runtime
from kustos.lifecycle.models import Tombstone
from kustos.lifecycle.services import tombstones
from kustos.tenants.models import Customer
from kustos.vault.expunge import expunge_store


def _droppable_years(customer: Customer, doomed: list[Message]) -> set[int]:
    """Pack-group years whose every message is among ``doomed``."""
    by_year: dict[int, set[str]] = defaultdict(set)
    for m in doomed:
        if m.retention_year is not None:
            by_year[m.retention_year].add(m.id)
    return {year for year, ids in by_year.items()
            if Message.objects.filter(customer=customer, retention_year=year).count() == len(ids)}


def _chunks(ids: list[str], size: int = 2000) -> list[list[str]]:
    return [ids[i:i + size] for i in range(0, len(ids), size)]


def delete_messages(customer: Customer, ids: list[str], *, approved_by: list[str], proposal: str = "",
                    reason: str = "retention expired", actor: Any = None) -> dict[str, Any]:
    """Delete these messages of ``customer`` completely; returns counts."""
    doomed = sorted((m for chunk in _chunks(list(ids)) for m in Message.objects.filter(customer=customer,
                                                                                      id__in=chunk)),
                    key=lambda m: m.seq)
    if not doomed:
        return {"deleted": 0, "packs_deleted": 0, "years_dropped": []}
    now = timezone.now()
    store = runtime.store_for(customer.id)
    rows = [{"message_id": m.id, "seq": m.seq, "sha256": m.sha256, "vault_id": m.vault_id,
             "original_vault_id": m.original_vault_id, "size": m.size, "class": m.retention_class,
             "retention_end": m.retention_end.isoformat() if m.retention_end else None} for m in doomed]
    store.put(tombstones.encode(customer.id, proposal, now.isoformat(), approved_by, reason, rows),
              kind=tombstones.KIND, retention_year=None)
    store.commit()
    object_ids = {m.vault_id for m in doomed} | {m.original_vault_id for m in doomed if m.original_vault_id}
    vault_result = expunge_store(store, object_ids, _droppable_years(customer, doomed))
    with transaction.atomic():
        Tombstone.objects.bulk_create([Tombstone(
            customer=customer, message_id=m.id, seq=m.seq, sha256=m.sha256, vault_id=m.vault_id,
            original_vault_id=m.original_vault_id, size=m.size,
            retention_class=m.retention_class, message_date=m.date, archived_at=m.archived_at,
            retention_end=m.retention_end, approved_by=approved_by, proposal=proposal, reason=reason[:200],
        ) for m in doomed], ignore_conflicts=True, batch_size=1000)
        for chunk in _chunks([m.id for m in doomed]):
            MessageRef.objects.filter(message_id__in=chunk).delete()
            Message.objects.filter(customer=customer, id__in=chunk).delete()
    index = runtime.search_index()
    index.delete(customer.id, [m.id for m in doomed])
    index.commit()
    result = {"deleted": len(doomed), "packs_deleted": vault_result["packs_deleted"],
              "packs_rewritten": vault_result["packs_rewritten"], "years_dropped": vault_result["years_dropped"],
              "bytes_removed": vault_result["bytes_removed"]}
    record("retention.delete", actor=actor or "system", customer=customer, target=proposal or customer.id,
           detail={**result, "approved_by": approved_by, "reason": reason[:200],
                   "messages": [m.id for m in doomed][:1000]})
    return result
