"""Write-ahead audit of a cleanup batch, so no deletion at the server goes unrecorded.

Before a kind's cleaner is asked to delete a batch (never in a dry run) an audit event
``source.mailbox_cleanup_intent`` with outcome "pending" names the batch's archive ids, SHA-256 and
references (its ``intent`` key). After the cleaner, the deletions are recorded as before (their events
name the intent) and a second ``source.mailbox_cleanup_intent`` event with outcome "ok" settles it.

If the process dies in between (killed, or the connection failed after the server had deleted), the
intent stays unsettled. The next real run of the source reconciles it first: it asks the cleaner, in a
dry run, about every listed message not recorded yet; a message gone at the server is recorded as
deleted with outcome "recovered" (audit event and mark, counted in the interrupted run's totals), one
still there stays a candidate. The intent is then settled with outcome "recovered".

An intent is only reconciled when its run can no longer be working on it: the run ended (with an
error), the process that wrote it is gone from this host, or it is older than ``STALE_AFTER``.
"""

from __future__ import annotations

import os
import socket
from datetime import timedelta
from typing import Any

from django.db.models import F, Q
from django.utils import timezone

from kustos.archive.models import MailboxCleanupMark, MailboxCleanupRun, MessageRef, Source
from kustos.archive.services.mailbox_cleanup import audit_log
from kustos.audit import services as audit
from kustos.audit.models import AuditEvent
from kustos.sources.cleanup import CleanupItem

INTENT = "source.mailbox_cleanup_intent"
PENDING = "pending"
RECOVERED = "recovered"
GONE = "gone on the server"
STALE_AFTER = timedelta(hours=1)


def key(run_id: str, batch: int) -> str:
    return f"{run_id}/{batch}"


def announce(source: Source, actor: Any, run_id: str, intent: str, items: list[tuple[Any, CleanupItem]], *,
             to_trash: bool) -> None:
    """The pending intent of one batch: written before the cleaner is called."""
    audit.record(INTENT, actor=actor or "system", customer=source.customer_id, target=source.id,
                 outcome=PENDING,
                 detail={"intent": intent, "run": run_id, "action": "trash" if to_trash else "delete",
                         "count": len(items), "host": socket.gethostname(), "pid": os.getpid(),
                         "messages": [{"id": ref.message_id, "sha256": item.sha256, "ref": item.ref}
                                      for ref, item in items]})


def settle(source: Source, actor: Any, intent: str, *, outcome: str = "ok", **counts: Any) -> None:
    audit.record(INTENT, actor=actor or "system", customer=source.customer_id, target=source.id, outcome=outcome,
                 detail={"intent": intent, **counts})


def unsettled(source: Source) -> list[AuditEvent]:
    """The source's pending intents without a settling event, oldest first.

    Only runs that did not end cleanly (no end recorded, or an error) can leave one: a run that ends
    without error has settled every intent it wrote, so only those runs' events are read."""
    runs = list(MailboxCleanupRun.objects.filter(source=source.id, dry_run=False)
                .filter(Q(finished_at__isnull=True) | ~Q(error="")).values_list("id", flat=True))
    if not runs:
        return []
    events = AuditEvent.objects.filter(action=INTENT, customer_id=source.customer_id, target=source.id)
    pending = list(events.filter(outcome=PENDING, detail__run__in=runs).order_by("seq"))
    if not pending:
        return []
    keys = [e.detail.get("intent") for e in pending]
    closed = set(events.exclude(outcome=PENDING).filter(detail__intent__in=keys)
                 .values_list("detail__intent", flat=True))
    return [e for e in pending if e.detail.get("intent") not in closed]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by another user
        return True
    return True


def _abandoned(event: AuditEvent) -> bool:
    """True when no process can still be working on the intent's batch."""
    detail = event.detail
    if MailboxCleanupRun.objects.filter(id=detail.get("run"), finished_at__isnull=False).exists():
        return True
    if detail.get("host") == socket.gethostname() and detail.get("pid") != os.getpid():
        return not _alive(int(detail.get("pid") or 0))
    return timezone.now() - event.at > STALE_AFTER


def reconcile(source: Source, cleaner: Any, actor: Any) -> tuple[int, set[str]]:
    """Settle every abandoned intent of the source: (deletions recovered, the references of intents
    another run may still be carrying out — not to be touched by this run)."""
    recovered = 0
    busy: set[str] = set()
    for event in unsettled(source):
        if _abandoned(event):
            recovered += _one(source, cleaner, actor, event)
        else:
            busy.update(m["ref"] for m in event.detail.get("messages", []))
    return recovered, busy


def _recorded_refs(source: Source, intent: str) -> set[str]:
    rows = AuditEvent.objects.filter(action="source.mailbox_cleanup", customer_id=source.customer_id,
                                     target=source.id, detail__intent=intent).values_list("detail", flat=True)
    return {m.get("ref", "") for detail in rows for m in detail.get("messages", [])}


def _one(source: Source, cleaner: Any, actor: Any, event: AuditEvent) -> int:
    detail = event.detail
    intent, run_id = detail["intent"], str(detail.get("run") or "")
    to_trash = detail.get("action") == "trash"
    done = "trash" if to_trash else "deleted"
    listed = {m["ref"]: m for m in detail.get("messages", [])}
    refs = {r.source_ref: r for r in MessageRef.objects.filter(source=f"{source.kind}:{source.id}",
                                                                source_ref__in=list(listed))
            .select_related("message")}
    marked = set(MailboxCleanupMark.objects.filter(ref__in=list(refs.values())).values_list("ref_id", flat=True))
    recorded = _recorded_refs(source, intent)
    marks = [MailboxCleanupMark(ref=r, run=run_id, outcome=done) for name, r in refs.items()
             if name in recorded and r.pk not in marked]  # recorded before the process died, not yet marked
    open_refs = [r for name, r in refs.items() if name not in recorded and r.pk not in marked]
    unconfirmed = [{"id": m["id"], "reason": "no archived reference"} for name, m in listed.items()
                   if name not in refs]
    gone: list[dict[str, str]] = []
    freed = 0
    still = 0
    if open_refs:
        items = [_item(r) for r in open_refs]
        outcomes = cleaner.delete(items, to_trash=to_trash, dry_run=True)
        for ref, item, outcome in zip(open_refs, items, outcomes, strict=True):
            if not outcome.deleted and (outcome.reason == GONE or (to_trash and outcome.reason.startswith("already in"))):
                gone.append({"id": ref.message_id, "sha256": item.sha256, "ref": item.ref})
                marks.append(MailboxCleanupMark(ref=ref, run=run_id, outcome=done))
                freed += item.size
            elif outcome.deleted:
                still += 1  # the server still holds it: a candidate for this run as any other
            else:
                unconfirmed.append({"id": ref.message_id, "reason": outcome.reason or "not confirmed"})
    if gone:
        audit_log.deletions(source, actor, gone, to_trash=to_trash, intent=intent, outcome=RECOVERED)
        MailboxCleanupRun.objects.filter(id=run_id).update(deleted=F("deleted") + len(gone),
                                                           freed_bytes=F("freed_bytes") + freed)
    MailboxCleanupMark.objects.bulk_create(marks, ignore_conflicts=True)
    MailboxCleanupRun.objects.filter(id=run_id, finished_at__isnull=True).update(
        finished_at=timezone.now(), error="interrupted; its deletions were reconciled by a later run")
    settle(source, actor, intent, outcome=RECOVERED, recovered=len(gone), on_server=still,
           unconfirmed=unconfirmed[:100])
    return len(gone)


def _item(ref: MessageRef) -> CleanupItem:
    message = ref.message
    scope_id, _, item_id = ref.source_ref.rpartition("#")
    return CleanupItem(ref=ref.source_ref, scope_id=scope_id, item_id=item_id, sha256=message.sha256,
                       size=message.size, message_id=(message.message_id or "").strip().strip("<>"))
