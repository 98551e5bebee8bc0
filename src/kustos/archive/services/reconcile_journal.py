"""Per journaling endpoint: mail accepted over SMTP (spool items) against what was archived.

The SMTP receiver answers 250 only after an item is in the spool; the drain deletes an item once
its batch is committed. So what the spool still holds for a customer is accepted but not yet
archived (``pending``: waiting in ``new/`` or claimed in ``work/``) or given up on (``failed/``,
with a reason) — the latter is a gap, as is an open quarantine item from SMTP. What the drain
took out of the spool is counted from its audit events (one ``ingest.batch`` per batch, with the
number of spool items), so ``accepted`` = drained + pending + failed since batches are audited.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kustos.archive.models import JournalEndpoint, MessageRef, Quarantine
from kustos.audit import ingest as audit_ingest
from kustos.audit.models import AuditEvent
from kustos.sources.smtp.spool import SpoolCorrupt, read_item
from kustos.tenants.models import Customer

SMTP_SOURCE = "smtp"


@dataclass
class JournalLine:
    address: str
    accepted: int  # spool items drained (audited batches) + pending + failed
    drained: int  # spool items the drain ingested and acknowledged (from the audit events)
    archived: int  # distinct messages that arrived over SMTP
    pending: int
    failed: int
    quarantined: int
    failed_reasons: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        if self.failed or self.quarantined:
            return "gap"
        return "pending" if self.pending else "ok"

    def as_dict(self) -> dict:
        return {"address": self.address, "accepted": self.accepted, "drained": self.drained,
                "archived": self.archived, "pending": self.pending,
                "failed": self.failed, "quarantined": self.quarantined,
                "failed_reasons": self.failed_reasons, "verdict": self.verdict}


def _customer_items(directory: Path, customer_id: str) -> list[Path]:
    """Spool items under ``directory`` (recursively, e.g. ``work/<owner>/``) that belong to the customer."""
    if not directory.is_dir():
        return []
    found = []
    for path in sorted(p for p in directory.rglob("*") if p.is_file() and not p.name.endswith(".reason")):
        try:
            envelope, _data = read_item(path)
        except (SpoolCorrupt, OSError):
            continue  # an unreadable item cannot be attributed to a customer
        if envelope.customer == customer_id:
            found.append(path)
    return found


def journal_lines(customer: Customer, spool_root: Path, smtp_domain: str) -> list[JournalLine]:
    """One line for the customer's journaling endpoint (none when it has no endpoint; none is created)."""
    endpoint = JournalEndpoint.objects.filter(customer=customer).first()
    if endpoint is None:
        return []
    address = f"{endpoint.local_part}@{smtp_domain}"
    archived = (MessageRef.objects.filter(message__customer=customer, source=SMTP_SOURCE)
                .values("message_id").distinct().count())
    pending = len(_customer_items(spool_root / "new", customer.id)) + len(_customer_items(spool_root / "work", customer.id))
    failed_paths = _customer_items(spool_root / "failed", customer.id)
    reasons = []
    for path in failed_paths:
        reason_file = path.with_name(f"{path.name}.reason")
        reasons.append(reason_file.read_text(errors="replace").strip()[:300] if reason_file.exists() else "")
    drained = sum(int((detail or {}).get("count") or 0) for detail in AuditEvent.objects.filter(
        action=audit_ingest.ACTION, customer_id=customer.id, target=endpoint.local_part,
        detail__source=SMTP_SOURCE).values_list("detail", flat=True).iterator())
    quarantined = Quarantine.objects.filter(customer=customer, source=SMTP_SOURCE, resolved_at__isnull=True).count()
    return [JournalLine(address=address, accepted=drained + pending + len(failed_paths), drained=drained,
                        archived=archived, pending=pending, failed=len(failed_paths),
                        quarantined=quarantined, failed_reasons=reasons)]
