"""The audit trail of a cleanup: each batch's intent before the server is asked (``intents``), its
deletions with archive ids and SHA-256 (chunked), and one summary per run (a dry run writes only its
summary)."""

from __future__ import annotations

from typing import Any

from kustos.archive.models import MailboxCleanupRun, Source
from kustos.audit import services as audit

CHUNK = 200  # deletions per audit event


def deletions(source: Source, actor: Any, gone: list[dict[str, str]], *, to_trash: bool, intent: str = "",
              outcome: str = "ok") -> None:
    """The deletions of one batch, naming the batch's intent (``intents``); outcome "recovered" when a
    later run found them gone after the deleting process died before recording them."""
    for start in range(0, len(gone), CHUNK):
        part = gone[start:start + CHUNK]
        audit.record("source.mailbox_cleanup", actor=actor or "system", customer=source.customer_id,
                     target=source.id, outcome=outcome,
                     detail={"action": "trash" if to_trash else "delete", "count": len(part), "intent": intent,
                             "messages": [{"id": g["id"], "sha256": g["sha256"], "ref": g["ref"]} for g in part]})


def summary(source: Source, actor: Any, record: MailboxCleanupRun, rule: Any, totals: dict[str, Any]) -> None:
    audit.record("source.mailbox_cleanup_run", actor=actor or "system", customer=source.customer_id,
                 target=source.id, detail={"run": record.id, "dry_run": record.dry_run,
                                           "older_than_days": rule.older_than_days, "folders": list(rule.folders),
                                           "action": "trash" if rule.to_trash else "delete",
                                           "deleted": totals["deleted"], "kept": totals["kept"],
                                           "freed_bytes": totals["freed_bytes"]})
