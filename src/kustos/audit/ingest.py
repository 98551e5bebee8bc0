"""One audit event per ingest batch (COMPLIANCE.md 7): SMTP journaling drains and source runs.

The event names the source and endpoint, how many items came in and what became of them, and
the archive ids and per-customer sequence range of the new messages; never message contents.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Max, Min

from kustos.archive.models import Message
from kustos.audit.models import AuditEvent
from kustos.audit.services import record

ACTION = "ingest.batch"


def record_batch(customer: Any, *, source: str, endpoint: str, count: int, result: Any,
                 actor: Any = "system", outcome: str = "ok") -> AuditEvent:
    """``result`` is the ingest's BatchResult (imported, duplicates, excluded, message_ids); a run
    that failed part-way records what it archived before the failure with outcome ``failed``."""
    ids = list(result.message_ids)
    if hasattr(result, "seq_from"):  # BatchResult tracks its range (it keeps only the first ids of a long run)
        seqs = {"first": result.seq_from, "last": result.seq_to}
        last_id = result.last_id or (ids[-1] if ids else None)
    else:
        seqs = (Message.objects.filter(customer_id=customer.id, id__in=ids).aggregate(first=Min("seq"), last=Max("seq"))
                if ids else {"first": None, "last": None})
        last_id = ids[-1] if ids else None
    detail = {
        "source": source, "endpoint": endpoint, "count": count, "imported": result.imported,
        "duplicates": result.duplicates, "excluded": result.excluded,
        "excluded_by_rule": dict(getattr(result, "excluded_by", {}) or {}),
        "first_id": ids[0] if ids else None, "last_id": last_id,
        "seq_from": seqs["first"], "seq_to": seqs["last"],
    }
    return record(ACTION, actor=actor, customer=customer, target=endpoint, outcome=outcome, detail=detail)
