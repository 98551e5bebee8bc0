"""Restore from a backup snapshot: one item, a folder (path prefix), an account or the whole snapshot,
to the same place or to another account and/or below a target folder, or into another source of the
same customer and kind (``to_source``: e.g. another Salesforce org), with a conflict mode.

``request(...)`` validates, audits and queues a ``backup.restore`` job; the job runs ``run(...)``,
which walks the snapshot in the vault and hands every item to the source kind's restore writer
(``Kind.build_restore``; content streams from the vault, so memory does not grow with file size).
The report is ``{"restored", "skipped", "failed": [{"path", "error"}]}``; an item that fails is
listed and the restore goes on; so is an item the writer can only offer for download (Teams chat
messages: the error says "download only" and why). Folders are recreated (empty ones too) but not
counted.

The writer protocol: ``write(account, path, kind, size, meta, open, to_account=, to_path=, conflict=)``
returns ``restored``, ``skipped`` or ``pending`` (the writer collects the item and decides at the end,
e.g. Salesforce creates records parents first); optional ``finish()`` after the walk returns
``{"restored": N, "skipped": N, "failed": [...]}`` for the pending items; optional ``report()`` adds
the writer's own findings; optional ``close()``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError

from kustos.archive.models import Source
from kustos.audit import services as audit
from kustos.backup.models import BackupSnapshot
from kustos.backup.services.plans import kind_for
from kustos.core import runtime
from kustos.core.egress import egress_policy
from kustos.core.secrets import open_secret
from kustos.jobs import services as jobs
from kustos.jobs.models import Job
from kustos.vault.snaptree import split_path

JOB_KIND = "backup.restore"
CONFLICTS = ("skip", "copy", "replace")
ITEM_ERRORS = (Exception,)  # any failure of one item is reported, the restore goes on


def matching(accounts: list[str], account: str) -> list[str]:
    """The snapshot accounts ``account`` names: itself, or every service of a bare user id."""
    if account in accounts:
        return [account]
    return [a for a in accounts if a.partition(":")[2] == account]


PENDING = "pending"


def target_source(snap: BackupSnapshot, source_id: str) -> Source:
    """Another source of the snapshot's customer and kind, or ValidationError (a source of another
    customer is reported exactly like one that does not exist)."""
    source = Source.objects.filter(id=source_id, customer_id=snap.plan.customer_id).first()
    if source is None:
        raise ValidationError(f"no source {source_id!r}")
    if source.kind != snap.plan.source.kind:
        raise ValidationError(f"source {source_id} is a {source.kind} source; a {snap.plan.source.kind} "
                              "snapshot goes into a source of the same kind")
    return source


def targets(source: Source) -> list[Source]:
    """The other sources a snapshot of ``source`` may be restored into: the customer's, of the same kind."""
    return list(Source.objects.filter(customer_id=source.customer_id, kind=source.kind).exclude(id=source.id)
                .order_by("name"))


def clean(snap: BackupSnapshot, *, account: str | None = None, paths: list[str] | None = None,
          to_account: str | None = None, to_path: str | None = None, conflict: str = "skip",
          to_source: str | None = None) -> dict[str, Any]:
    """The job parameters, or ValidationError naming the problem."""
    to_source = (to_source or "").strip()
    if to_source:
        target_source(snap, to_source)
    if conflict not in CONFLICTS:
        raise ValidationError(f"unknown conflict mode {conflict!r}; use skip, copy or replace")
    paths = [p.strip("/") for p in (paths or []) if p and p.strip("/")]
    if paths and not account:
        raise ValidationError("a path needs an account (--account)")
    for path in [*paths, (to_path or "").strip("/")]:
        try:
            split_path(path)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
    kind = kind_for(snap.plan.source)
    if getattr(kind, "build_restore", None) is None:
        raise ValidationError(f"source kind {kind.name!r} cannot restore")
    store = runtime.store_for(snap.plan.customer_id)
    if account and not matching([r["account"] for r in store.snapshots.ls(snap.id)], account):
        raise ValidationError(f"account {account!r} is not in snapshot {snap.id}")
    return {"snapshot": snap.id, "account": account or "", "paths": paths, "to_account": (to_account or "").strip(),
            "to_path": (to_path or "").strip("/"), "conflict": conflict, "to_source": to_source}


def request(snap: BackupSnapshot, *, actor: Any = None, **options: Any) -> Job:
    """Validate, audit and queue the restore; returns the job (its result is the report)."""
    params = clean(snap, **options)
    customer = snap.plan.customer
    audit.record("backup.restore", actor=actor, customer=customer, target=snap.id,
                 detail={k: v for k, v in params.items() if k != "snapshot"})
    return jobs.create(JOB_KIND, customer=customer, params=params,
                       created_by=getattr(actor, "email", actor) or "system", max_attempts=1)


def _accounts(store: Any, snap: BackupSnapshot, params: dict[str, Any]) -> list[str]:
    accounts = [r["account"] for r in store.snapshots.ls(snap.id)]
    return matching(accounts, params["account"]) if params.get("account") else accounts


def preview(snap: BackupSnapshot, params: dict[str, Any]) -> dict[str, Any]:
    """What a restore with these (cleaned) parameters would put back: items and bytes per account
    (folders not counted), and the selected paths not in the snapshot."""
    store = runtime.store_for(snap.plan.customer_id)
    out: dict[str, Any] = {"items": 0, "bytes": 0, "accounts": {}, "missing": []}
    accounts = _accounts(store, snap, params)
    for path in params.get("paths") or [""]:
        found = False
        for account in accounts:
            for _item_path, entry in store.snapshots.walk(snap.id, account, path):
                found = True
                if entry.kind == "folder":
                    continue
                row = out["accounts"].setdefault(account, {"items": 0, "bytes": 0})
                row["items"] += 1
                row["bytes"] += entry.size
                out["items"] += 1
                out["bytes"] += entry.size
        if path and not found:
            out["missing"].append(path)
    return out


def run(snap: BackupSnapshot, params: dict[str, Any], progress: Callable[..., None] | None = None,
        writer: Any = None) -> dict[str, Any]:
    """Put the selected items back; returns the report."""
    source = snap.plan.source
    if params.get("to_source"):
        source = target_source(snap, params["to_source"])
    store = runtime.store_for(snap.plan.customer_id)
    if writer is None:
        kind = kind_for(source)
        writer = kind.build_restore(source.config, open_secret(source.secret, source.id), egress_policy())
    report: dict[str, Any] = {"restored": 0, "skipped": 0, "failed": []}
    accounts = _accounts(store, snap, params)
    done = 0
    missing: dict[str, int] = {}
    try:
        for account in accounts:
            for path in params.get("paths") or [""]:
                found = False
                for item_path, entry in store.snapshots.walk(snap.id, account, path):
                    found = True
                    where = f"{account}/{item_path}"
                    opener = (lambda oid=entry.id: store.open(oid)) if entry.id else None
                    try:
                        outcome = writer.write(account, item_path, entry.kind, entry.size, entry.meta, opener,
                                               to_account=params.get("to_account") or None,
                                               to_path=params.get("to_path") or None,
                                               conflict=params.get("conflict", "skip"))
                    except ITEM_ERRORS as exc:
                        # an item a writer can only offer for download says so itself, without a type name
                        error = str(exc) if getattr(exc, "download_only", False) else f"{type(exc).__name__}: {exc}"
                        report["failed"].append({"path": where, "error": error[:500]})
                        continue
                    if entry.kind == "folder" or outcome == PENDING:
                        continue
                    report[outcome] += 1
                    done += 1
                    if progress:
                        progress(done, None, f"{done} restored or skipped")
                if path and not found:
                    missing[path] = missing.get(path, 0) + 1
        report["failed"] += [{"path": f"{params['account']}/{path}", "error": "not in the snapshot"}
                             for path, count in missing.items() if count == len(accounts)]
        finish = getattr(writer, "finish", None)  # the items a writer collected (e.g. parents before children)
        if callable(finish):
            finished = finish()
            report["restored"] += finished.get("restored", 0)
            report["skipped"] += finished.get("skipped", 0)
            report["failed"] += finished.get("failed", [])
            if progress:
                progress(report["restored"] + report["skipped"], None,
                         f"{report['restored'] + report['skipped']} restored or skipped")
        details = getattr(writer, "report", None)  # a writer's own findings, e.g. records re-created under new ids
        if callable(details):
            report.update(details())
    finally:
        close = getattr(writer, "close", None)
        if close is not None:
            close()
    audit.record("backup.restore.done", actor="system", customer=snap.plan.customer, target=snap.id,
                 outcome="ok" if not report["failed"] else "partial",
                 detail={"restored": report["restored"], "skipped": report["skipped"],
                         "failed": len(report["failed"])})
    return report
