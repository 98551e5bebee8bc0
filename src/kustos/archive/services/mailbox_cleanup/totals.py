"""What cleanup did for a customer or source: the mailbox space freed and the latest runs."""

from __future__ import annotations

from django.db.models import Sum

from kustos.archive.models import MailboxCleanupRun


def freed_bytes(customer_id: str) -> int:
    """Mailbox space freed at the servers by every real (not dry) cleanup run of the customer."""
    total = (MailboxCleanupRun.objects.filter(customer_id=customer_id, dry_run=False)
             .aggregate(total=Sum("freed_bytes"))["total"])
    return int(total or 0)


def recent_runs(source_id: str, limit: int = 10) -> list[MailboxCleanupRun]:
    return list(MailboxCleanupRun.objects.filter(source=source_id).order_by("-started_at")[:limit])
