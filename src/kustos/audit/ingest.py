"""One audit event per ingest batch (COMPLIANCE.md 7): SMTP journaling drains and source runs.

The event names the source and endpoint, how many items came in and what became of them, and
the archive ids and per-customer sequence range of the new messages; never message contents.
"""

from __future__ import annotations

from typing import Any

from kustos.archive.pipeline.contract import BatchResult
from kustos.audit.models import AuditEvent
from kustos.audit.services import record

ACTION = "ingest.batch"


def record_batch(customer: Any, *, source: str, endpoint: str, count: int, result: BatchResult,
                 actor: Any = "system", outcome: str = "ok") -> AuditEvent:
    """``result`` is the ingest's BatchResult (imported, duplicates, excluded, message_ids); a run
    that failed part-way records what it archived before the failure with outcome ``failed``."""
    ids = result.message_ids  # the first ids of a long run; its whole range is tracked
    detail = {
        "source": source, "endpoint": endpoint, "count": count, "imported": result.imported,
        "duplicates": result.duplicates, "excluded": result.excluded,
        "excluded_by_rule": dict(result.excluded_by),
        "first_id": ids[0] if ids else None, "last_id": result.last_id or None,
        "seq_from": result.seq_from, "seq_to": result.seq_to,
    }
    return record(ACTION, actor=actor, customer=customer, target=endpoint, outcome=outcome, detail=detail)
