"""Quarantined input: listing, the kept bytes, and retrying ingest on them.

An input that could not be archived (an unreadable file, a damaged PST item ...) is kept:
its bytes in the customer's vault, its reason, source, mailbox and folder in a
``Quarantine`` row. ``retry`` runs the file readers and ingest again on the kept bytes —
e.g. after a parser fix. Success sets ``resolved_at`` and ``resolved_message``; failure keeps
the item with the new reason. CLI, API and dashboard all call this module; the caller has
checked access (``accounts.access``) before.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from kustos.archive.models import Message, Quarantine
from kustos.archive.pipeline.contract import Incoming
from kustos.archive.services.ingest import Ingestor
from kustos.audit import services as audit
from kustos.core import runtime
from kustos.sources.files import ImportItem, Quarantined, read_path
from kustos.tenants.models import Customer

# Name of the temporary file for kept bytes that were one item inside a container (a PST
# item, the n-th message of an mbox): no extension, so the readers go by content.
_ITEM_NAME = "item"


def keep(store: Any, customer: Customer, *, source: str, source_ref: str, reason: str, data: bytes,
         mailbox: str = "", folder: str = "") -> Quarantine:
    """Keep bad input: its bytes go to the customer's vault (``store``), the rest to the database.

    The same bytes from the same source that are still open are one item (importing a bad file
    twice does not list it twice); the newer reason wins.
    """
    vault_id = ""
    if data:
        vault_id = store.put(data, kind="quarantine").id
        store.commit()
        known = Quarantine.objects.filter(customer=customer, vault_id=vault_id, source_ref=source_ref[:1000],
                                          resolved_at__isnull=True).first()
        if known is not None:
            Quarantine.objects.filter(id=known.id).update(reason=reason[:500])
            known.reason = reason[:500]
            return known
    return Quarantine.objects.create(customer=customer, source=source, source_ref=source_ref[:1000],
                                     reason=reason[:500], vault_id=vault_id, size=len(data),
                                     mailbox=mailbox.strip().lower()[:320], folder=folder[:1000])


def items(customers: QuerySet[Customer] | list[Customer], *, resolved: bool = False) -> QuerySet[Quarantine]:
    """Quarantined items of ``customers``, newest first; only open ones unless ``resolved``."""
    qs = Quarantine.objects.select_related("customer").filter(customer__in=customers)
    return qs if resolved else qs.filter(resolved_at__isnull=True)


def get(customer: Customer, item_id: str) -> Quarantine:
    """One item of ``customer`` (404 for ids of other customers: their existence does not leak)."""
    item = Quarantine.objects.select_related("customer").filter(customer=customer, id=item_id).first()
    if item is None:
        raise Http404("no such quarantine item")
    return item


def public(item: Quarantine) -> dict[str, Any]:
    return {
        "id": item.id, "customer": item.customer_id, "source": item.source, "source_ref": item.source_ref,
        "reason": item.reason, "size": item.size, "kept": bool(item.vault_id), "mailbox": item.mailbox,
        "folder": item.folder, "created_at": item.created_at.isoformat(),
        "resolved_at": item.resolved_at.isoformat() if item.resolved_at else None,
        "resolved_message": item.resolved_message or None,
    }


def raw(item: Quarantine, *, actor: Any) -> bytes:
    """The kept bytes, byte-exact (audit-logged: they are message contents)."""
    if not item.vault_id:
        raise ValidationError(f"quarantine item {item.id} has no kept bytes (the input could not be read)")
    data: bytes = runtime.store_for(item.customer_id).get(item.vault_id)
    audit.record("archive.quarantine_raw", actor=actor, customer=item.customer, target=item.id,
                 detail={"size": len(data)})
    return data


def download_name(item: Quarantine) -> str:
    """A file name for the kept bytes: the input's own name where it was a whole file."""
    ref = item.source_ref
    name = Path(ref).name if "#" not in ref else ""
    return name or f"{item.id}.bin"


@dataclass
class RetryResult:
    item: Quarantine
    resolved: bool
    imported: int = 0
    duplicates: int = 0
    requarantined: list[str] = field(default_factory=list)
    error: str = ""  # why the retry could not start (e.g. no mailbox known)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.item.id, "resolved": self.resolved, "message": self.item.resolved_message or None,
                "imported": self.imported, "duplicates": self.duplicates, "reason": self.item.reason,
                "requarantined": self.requarantined, **({"error": self.error} if self.error else {})}


def retry(item: Quarantine, *, actor: Any, mailbox: str | None = None, workers: int = 1) -> RetryResult:
    """Read the kept bytes again and ingest what is readable now.

    The bytes are written to a private temporary file named like the input (its extension
    guides the readers) and read exactly as ``kustos import`` reads a file named on the command
    line. If a message comes out, it is archived under the item's mailbox and folder and the
    item is resolved; parts of a container that still fail become new quarantine items.
    Otherwise the item stays open with the new reason.
    """
    if item.resolved_at is not None:
        raise ValidationError(f"quarantine item {item.id} is already resolved (message {item.resolved_message})")
    target = (mailbox or item.mailbox).strip().lower()
    if not target:
        raise ValidationError(f"quarantine item {item.id} has no mailbox recorded: give the mailbox to file it under")
    if not item.vault_id:
        return _failed(item, actor, "no bytes were kept for this item, so there is nothing to read again")
    data = runtime.store_for(item.customer_id).get(item.vault_id)
    name = download_name(item) if "#" not in item.source_ref else _ITEM_NAME
    with tempfile.TemporaryDirectory(prefix="kustos-retry-") as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        entries = list(read_path(path))
    found = [e for e in entries if isinstance(e, ImportItem)]
    failed = [e for e in entries if isinstance(e, Quarantined)]
    if not found:
        reason = failed[0].reason if failed else "the kept bytes contain no message"
        return _failed(item, actor, reason)
    result = RetryResult(item=item, resolved=True)
    with Ingestor(item.customer, workers=workers).session() as ingestor:
        batch = ingestor.ingest(
            Incoming(raw=e.raw, mailbox=target, folders=[item.folder] if item.folder else e.folders, source=item.source,
                     source_ref=item.source_ref, original=e.original, original_kind=e.original_kind, kind=e.kind)
            for e in found)
        for bad in failed:
            ref = f"{item.source_ref}{bad.source_path.removeprefix(str(path))}"
            again = keep(ingestor.ctx.vault_store, item.customer, source=item.source, source_ref=ref,
                         reason=bad.reason, data=bad.data, mailbox=target, folder=item.folder)
            result.requarantined.append(again.id)
    result.imported, result.duplicates = batch.imported, batch.duplicates
    first = hashlib.sha256(found[0].raw).hexdigest()
    message = Message.objects.filter(customer_id=item.customer_id, sha256=first).values_list("id", flat=True).first()
    item.resolved_at, item.resolved_message = timezone.now(), message or ""
    item.save(update_fields=["resolved_at", "resolved_message"])
    audit.record("archive.quarantine_retry", actor=actor, customer=item.customer, target=item.id,
                 detail={"resolved": True, "message": item.resolved_message, "imported": result.imported})
    return result


def _failed(item: Quarantine, actor: Any, reason: str) -> RetryResult:
    item.reason = reason[:500]
    item.save(update_fields=["reason"])
    audit.record("archive.quarantine_retry", actor=actor, customer=item.customer, target=item.id,
                 detail={"resolved": False}, outcome="failed")
    return RetryResult(item=item, resolved=False)


def retry_all(customers: QuerySet[Customer] | list[Customer], *, actor: Any, mailbox: str | None = None,
              workers: int = 1) -> list[RetryResult]:
    """Retry every open item of ``customers`` (oldest first); an item that cannot be retried
    (no mailbox known) is reported with its error and the others still run."""
    results = []
    for item in items(customers).order_by("created_at"):
        try:
            results.append(retry(item, actor=actor, mailbox=mailbox, workers=workers))
        except ValidationError as exc:
            results.append(RetryResult(item=item, resolved=False, error="; ".join(exc.messages)))
    return results
