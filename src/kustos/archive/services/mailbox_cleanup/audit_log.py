"""The audit trail of a cleanup: each batch's deletions with archive ids and SHA-256 (chunked), and one
summary per run (a dry run writes only its summary)."""

from __future__ import annotations

from typing import Any

from kustos.archive.models import MailboxCleanupRun, Source
from kustos.audit import services as audit

CHUNK = 200  # deletions per audit event


def deletions(source: Source, actor: Any, gone: list[dict[str, str]], *, to_trash: bool) -> None:
    for start in range(0, len(gone), CHUNK):
        part = gone[start:start + CHUNK]
        audit.record("source.mailbox_cleanup", actor=actor or "system", customer=source.customer_id,
                     target=source.id, detail={"action": "trash" if to_trash else "delete", "count": len(part),
                                               "messages": [{"id": g["id"], "sha256": g["sha256"]} for g in part]})


def summary(source: Source, actor: Any, record: MailboxCleanupRun, rule: Any, totals: dict[str, Any]) -> None:
    audit.record("source.mailbox_cleanup_run", actor=actor or "system", customer=source.customer_id,
                 target=source.id, detail={"run": record.id, "dry_run": record.dry_run,
                                           "older_than_days": rule.older_than_days, "folders": list(rule.folders),
                                           "action": "trash" if rule.to_trash else "delete",
                                           "deleted": totals["deleted"], "kept": totals["kept"],
                                           "freed_bytes": totals["freed_bytes"]})
