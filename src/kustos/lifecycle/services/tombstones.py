"""Tombstones (requirement 13): what remains of a deleted message — no content, no addresses,
no subject; its archive id, ingest sequence number (the sequence stays gap-free with its
tombstones), SHA-256, vault id, size, class, dates and the people who approved.

Each deletion run writes them twice: a :class:`~kustos.lifecycle.models.Tombstone` row per
message, and ONE content-free vault object so ``kustos vault recover`` (which rebuilds the
database from the vault alone) can skip what was deleted on purpose.

Vault format (for recover and verify) — an object of ``kind="tombstones"``, stored in the
``keep`` group (``retention_year=None``; it is never dropped), UTF-8 JSON::

    {"v": 1, "type": "kustos.tombstones", "customer": "cu_…", "proposal": "dp_…",
     "deleted_at": "2031-01-05T10:00:00+00:00", "approved_by": ["a@x", "b@x"],
     "reason": "retention expired",
     "tombstones": [{"message_id": "ms_…", "seq": 17, "sha256": "<hex>", "vault_id": "<id>",
                     "original_vault_id": "<id or ''>", "size": 1234, "class": "Business letters",
                     "retention_end": "2030-12-31"}, …]}

Find them with ``[e for e in store.objects().values() if e.kind == "tombstones"]`` and
:func:`decode`. Recover must skip every mailref record whose ``sha256`` (or ``message_id``)
is listed: the ``mailrefs`` objects of partly deleted years stay in the vault (they are in
the ledger); the message bytes (``vault_id``, ``original_vault_id``) are gone.
The object is written and committed BEFORE the bytes are expunged, so a crash in between
leaves a tombstone for bytes that are still there (the deletion is simply run again).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from kustos.lifecycle.models import Tombstone
from kustos.tenants.models import Customer

KIND = "tombstones"
FORMAT = "kustos.tombstones"


def encode(customer_id: str, proposal: str, deleted_at: str, approved_by: list[str], reason: str,
           rows: list[dict[str, Any]]) -> bytes:
    doc = {"v": 1, "type": FORMAT, "customer": customer_id, "proposal": proposal, "deleted_at": deleted_at,
           "approved_by": approved_by, "reason": reason, "tombstones": rows}
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


def decode(data: bytes) -> dict[str, Any]:
    doc = json.loads(data)
    if doc.get("type") != FORMAT:
        raise ValueError("not a tombstones object")
    return doc


def vault_sha256s(store: Any) -> set[str]:
    """Every SHA-256 the vault's tombstone objects list (what recover must skip)."""
    out: set[str] = set()
    for e in store.objects().values():
        if e.kind == KIND:
            out.update(t["sha256"] for t in decode(store.get(e.id))["tombstones"])
    return out


def list_for(customer: Customer) -> list[Tombstone]:
    return list(Tombstone.objects.filter(customer=customer).order_by("seq"))


def as_row(t: Tombstone) -> dict[str, Any]:
    return {"id": t.message_id, "sha256": t.sha256, "class": t.retention_class,
            "deleted_at": t.deleted_at.isoformat(), "approved_by": list(t.approved_by), "seq": t.seq,
            "retention_end": t.retention_end.isoformat() if t.retention_end else None, "reason": t.reason,
            "proposal": t.proposal}


def tombstoned_ids(customer: Customer, ids: Iterable[str]) -> set[str]:
    return set(Tombstone.objects.filter(customer=customer, message_id__in=list(ids))
               .values_list("message_id", flat=True))
