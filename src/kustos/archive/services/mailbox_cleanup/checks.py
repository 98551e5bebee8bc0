"""Which candidates may go: only references whose message's exact bytes are in the vault (re-read,
SHA-256 recomputed), sealed in a closed Merkle batch of the ledger and indexed; never one that is
quarantined. Everything else is kept with its reason."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from kustos.archive.models import MessageRef, Quarantine, Source
from kustos.sources.cleanup import CleanupItem
from kustos.vault.errors import NotFound, VaultError

NOT_INDEXED = "not indexed"
NOT_SEALED = "not sealed yet"
DIFFERS = "vault bytes differ"
NO_COPY = "no archived copy"
QUARANTINED = "quarantined"
NO_ITEM = "no server item id"


def unsealed_ids(store: Any) -> set[str]:
    """Object ids with a ledger entry not yet in a closed batch (read fresh: another process may seal)."""
    store.ledger.reload()
    return {row[1] for row in store.ledger.unsealed}


def _quarantined(source: Source, refs: Sequence[MessageRef]) -> set[str]:
    names = {r.source_ref for r in refs}
    hashes = {r.message.vault_id for r in refs}
    open_items = Quarantine.objects.filter(customer_id=source.customer_id, resolved_at__isnull=True)
    by_ref = set(open_items.filter(source=f"{source.kind}:{source.id}", source_ref__in=names)
                 .values_list("source_ref", flat=True))
    by_bytes = set(open_items.filter(vault_id__in=hashes).values_list("vault_id", flat=True))
    return {r.source_ref for r in refs if r.source_ref in by_ref or r.message.vault_id in by_bytes}


def _verified(store: Any, vault_id: str, sha256: str) -> str:
    try:
        data = store.get(vault_id)
    except NotFound:
        return NO_COPY
    except VaultError:
        return DIFFERS
    return "" if hashlib.sha256(data).hexdigest() == sha256 else DIFFERS


def split(store: Any, source: Source, refs: Sequence[MessageRef], unsealed: set[str]
          ) -> tuple[list[tuple[MessageRef, CleanupItem]], list[dict[str, str]]]:
    """(the references the kind's cleaner may delete with their items, the skipped ones with reasons)."""
    quarantined = _quarantined(source, refs)
    allowed: list[tuple[MessageRef, CleanupItem]] = []
    skipped: list[dict[str, str]] = []
    verified: dict[str, str] = {}  # vault id -> reason ("" = intact), one read per message
    for ref in refs:
        message = ref.message
        scope_id, sep, item_id = ref.source_ref.rpartition("#")
        reason = ""
        if ref.source_ref in quarantined:
            reason = QUARANTINED
        elif not sep or not item_id:
            reason = NO_ITEM
        elif not message.indexed:
            reason = NOT_INDEXED
        elif message.vault_id in unsealed:
            reason = NOT_SEALED
        else:
            if message.vault_id not in verified:
                verified[message.vault_id] = _verified(store, message.vault_id, message.sha256)
            reason = verified[message.vault_id]
        if reason:
            skipped.append({"id": message.id, "ref": ref.source_ref, "reason": reason})
            continue
        allowed.append((ref, CleanupItem(ref=ref.source_ref, scope_id=scope_id, item_id=item_id,
                                         sha256=message.sha256, size=message.size,
                                         message_id=(message.message_id or "").strip().strip("<>"))))
    return allowed, skipped
