"""One cleanup run of a source's mailbox: candidates → checks → the kind's cleaner → record and audit."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from kustos.archive.models import MailboxCleanupMark, MailboxCleanupRun, Source
from kustos.archive.services.mailbox_cleanup import audit_log, candidates, checks, intents
from kustos.archive.services.mailbox_cleanup.rule import Rule, effective
from kustos.core import runtime
from kustos.core.egress import egress_policy
from kustos.core.secrets import open_secret
from kustos.sources.kinds import registry

SKIPPED_LISTED = 1000  # skipped items named in the result (all are counted in "kept")
# Reasons a cleaner gives for an item that can never be deleted at the server again: marked like a
# deletion, so later runs do not read the message again.
BUSY = "in another run's unfinished cleanup"
FOR_GOOD = frozenset({"gone on the server", "UIDVALIDITY changed", "already in the trash folder"})


def cleaner_for(source: Source) -> Any:
    """The kind's cleaner for this source; ValidationError when the kind has none."""
    kind = registry.KINDS.get(source.kind)
    if kind is None or kind.build_mailbox_cleaner is None:
        raise ValidationError(f"sources of kind {source.kind!r} cannot clean up their mailbox")
    return kind.build_mailbox_cleaner(source.config, open_secret(source.secret, source.id),
                                      egress_policy())


def run(source: Source, *, older_than_days: int | None = None, folders: list[str] | None = None,
        dry_run: bool = False, actor: Any = None, seal_first: bool = False) -> dict[str, Any]:
    """Delete (or move to the trash) the source's archived mail older than the rule's age at the server.

    Only messages whose exact bytes are in the vault, sealed and indexed are handed to the kind's
    cleaner; the rest is kept and listed in ``skipped`` with its reason. ``seal_first`` (the scheduled
    run after a source run) closes the customer's open ledger batch before deciding.
    """
    rule = effective(source.config, older_than_days, folders)
    cleaner = cleaner_for(source)
    store = runtime.store_for(source.customer_id)
    if seal_first and not dry_run:
        store.ledger.seal(force=True)
    actor_name = getattr(actor, "email", actor) or "system"
    record = MailboxCleanupRun.objects.create(customer_id=source.customer_id, source=source.id, dry_run=dry_run,
                                              older_than_days=rule.older_than_days, to_trash=rule.to_trash,
                                              actor=str(actor_name)[:320])
    totals = {"deleted": 0, "kept": 0, "freed_bytes": 0, "skipped": []}
    recovered, busy = 0, set()
    try:
        if not dry_run:  # deletions an interrupted run made but could not record
            recovered, busy = intents.reconcile(source, cleaner, actor)
        _each_batch(source, rule, cleaner, store, dry_run, actor, totals, record.id, busy)
    except Exception as exc:
        _finish(record, totals, error=f"{type(exc).__name__}: {exc}")
        raise
    finally:
        close = getattr(cleaner, "close", None)
        if close is not None:
            close()
    _finish(record, totals)
    audit_log.summary(source, actor, record, rule, totals)
    return {"id": record.id, "source": source.id, "dry_run": dry_run, "older_than_days": rule.older_than_days,
            "action": "trash" if rule.to_trash else "delete", "folders": list(rule.folders), **totals,
            "recovered": recovered}


def _each_batch(source: Source, rule: Rule, cleaner: Any, store: Any, dry_run: bool, actor: Any,
                totals: dict[str, Any], run_id: str, busy: set[str]) -> None:
    unsealed = checks.unsealed_ids(store)
    for number, page in enumerate(candidates.batches(source, rule, timezone.now())):
        allowed, skipped = checks.split(store, source, page, unsealed)
        if busy:
            skipped += [{"id": ref.message_id, "ref": item.ref, "reason": BUSY} for ref, item in allowed
                        if item.ref in busy]
            allowed = [(ref, item) for ref, item in allowed if item.ref not in busy]
        _skip(totals, skipped)
        if not allowed:
            continue
        intent = intents.key(run_id, number)
        if not dry_run:  # written first: a process dying after the server deleted leaves this record
            intents.announce(source, actor, run_id, intent, allowed, to_trash=rule.to_trash)
        outcomes = cleaner.delete([item for _, item in allowed], to_trash=rule.to_trash, dry_run=dry_run)
        gone: list[dict[str, str]] = []
        marks: list[MailboxCleanupMark] = []
        done = "trash" if rule.to_trash else "deleted"
        for (ref, item), outcome in zip(allowed, outcomes, strict=True):
            if outcome.deleted:
                totals["deleted"] += 1
                totals["freed_bytes"] += int(outcome.freed_bytes or 0)
                gone.append({"id": ref.message_id, "sha256": item.sha256, "ref": item.ref})
                marks.append(MailboxCleanupMark(ref=ref, run=run_id, outcome=done))
            else:
                _skip(totals, [{"id": ref.message_id, "ref": item.ref, "reason": outcome.reason or "kept"}])
                if outcome.reason in FOR_GOOD:
                    marks.append(MailboxCleanupMark(ref=ref, run=run_id, outcome=outcome.reason))
        if dry_run:
            continue
        if gone:
            audit_log.deletions(source, actor, gone, to_trash=rule.to_trash, intent=intent)
        MailboxCleanupMark.objects.bulk_create(marks, ignore_conflicts=True)
        intents.settle(source, actor, intent, deleted=len(gone), kept=len(allowed) - len(gone))


def _skip(totals: dict[str, Any], skipped: list[dict[str, str]]) -> None:
    totals["kept"] += len(skipped)
    room = SKIPPED_LISTED - len(totals["skipped"])
    if room > 0:
        totals["skipped"].extend(skipped[:room])


def _finish(record: MailboxCleanupRun, totals: dict[str, Any], error: str = "") -> None:
    MailboxCleanupRun.objects.filter(id=record.id).update(
        finished_at=timezone.now(), deleted=totals["deleted"], kept=totals["kept"],
        freed_bytes=totals["freed_bytes"], error=error[:500])
    record.deleted, record.kept, record.freed_bytes = totals["deleted"], totals["kept"], totals["freed_bytes"]
