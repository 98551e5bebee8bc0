"""Seed another source (e.g. a Salesforce sandbox) with a filtered, relationship-closed subset of the
records of a backup snapshot, optionally with personal fields masked.

Generic: the kind of the snapshot's source decides whether and how it can seed (``Kind.build_seeder``;
a kind without it → ValidationError). ``request(...)`` validates (target: another source of the same
customer and kind; the object and filter checked by the kind's seeder), audits ``backup.seed`` and
queues a ``backup.seed`` job; the job runs ``run(...)``: the snapshot's records (the items of kind
``record``, as compare reads them; read from the vault on demand, ``seed_records.py``) go to the seeder, which copies the subset into the target and
returns the report ``{"records": {NAME: N}, "selected", "masked": {NAME: [fields]}, "failed",
"unresolved_lookups", "recreated"}``; the outcome is audited as ``backup.seed.done``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError

from kustos.archive.models import Source
from kustos.audit import services as audit
from kustos.backup.models import BackupSnapshot
from kustos.backup.services.plans import kind_for
from kustos.backup.services.restore import target_source
from kustos.backup.services.seed_records import SnapshotRecords
from kustos.core import runtime
from kustos.core.egress import egress_policy
from kustos.core.secrets import open_secret
from kustos.jobs import services as jobs
from kustos.jobs.models import Job

JOB_KIND = "backup.seed"


def can_seed(source: Source) -> bool:
    return getattr(kind_for(source), "build_seeder", None) is not None


def _mask_fields(raw: list[str] | dict[str, list[str]] | None) -> dict[str, list[str]]:
    """``["Contact.Title", ...]`` or ``{"Contact": ["Title"]}`` → ``{"Contact": ["Title"]}``."""
    if not raw:
        return {}
    if isinstance(raw, dict):
        return {str(k): sorted({str(f) for f in v}) for k, v in raw.items()}
    out: dict[str, set[str]] = {}
    for item in raw:
        name, dot, field = str(item).strip().partition(".")
        if not dot or not name or not field:
            raise ValidationError(f"mask field {item!r} must be Object.Field (e.g. Contact.Title)")
        out.setdefault(name, set()).add(field)
    return {name: sorted(fields) for name, fields in out.items()}


def _seeder(source: Source) -> Any:
    kind = kind_for(source)
    return kind.build_seeder(source.config, open_secret(source.secret, source.id), egress_policy())


def _has_folder(snap: BackupSnapshot, name: str) -> bool:
    store = runtime.store_for(snap.plan.customer_id)
    return any(next(iter(store.snapshots.walk(snap.id, row["account"], name)), None) is not None
               for row in store.snapshots.ls(snap.id))


def clean(snap: BackupSnapshot, *, to_source: str, object: str, where: str | None = None,
          mask_personal: bool = False, mask_fields: list[str] | dict[str, list[str]] | None = None,
          with_children: bool = False) -> dict[str, Any]:
    """The job parameters, or ValidationError naming the problem."""
    kind = kind_for(snap.plan.source)
    if getattr(kind, "build_seeder", None) is None:
        raise ValidationError(f"source kind {kind.name!r} cannot seed another source")
    if not (to_source or "").strip():
        raise ValidationError("a target source is needed (--to-source)")
    target = target_source(snap, to_source.strip())
    if target.id == snap.plan.source_id:
        raise ValidationError("seeding copies into another source; the snapshot's own source cannot be the target")
    fields = _mask_fields(mask_fields)
    object = (object or "").strip()
    if not object:
        raise ValidationError("an object is needed (--object, e.g. Account)")
    if fields and not mask_personal:
        raise ValidationError("extra fields to mask need --mask-personal")
    seeder = _seeder(target)
    try:
        seeder.check(object, (where or "").strip() or None)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    finally:
        seeder.close()
    if not _has_folder(snap, object):
        raise ValidationError(f"snapshot {snap.id} has no {object} records")
    return {"snapshot": snap.id, "to_source": target.id, "object": object, "where": (where or "").strip(),
            "mask_personal": bool(mask_personal), "mask_fields": fields, "with_children": bool(with_children)}


def request(snap: BackupSnapshot, *, actor: Any = None, **options: Any) -> Job:
    """Validate, audit and queue the seeding; returns the job (its result is the report)."""
    params = clean(snap, **options)
    customer = snap.plan.customer
    audit.record("backup.seed", actor=actor, customer=customer, target=snap.id,
                 detail={k: v for k, v in params.items() if k != "snapshot"})
    return jobs.create(JOB_KIND, customer=customer, params=params,
                       created_by=getattr(actor, "email", actor) or "system", max_attempts=1)


def run(snap: BackupSnapshot, params: dict[str, Any], progress: Callable[..., None] | None = None) -> dict[str, Any]:
    """Copy the subset into the target source; returns the report."""
    target = target_source(snap, params["to_source"])
    records = SnapshotRecords(snap)
    seeder = _seeder(target)
    try:
        report: dict[str, Any] = seeder.seed(records, params["object"], params.get("where") or None,
                                             mask_personal=bool(params.get("mask_personal")),
                                             mask_fields=params.get("mask_fields") or {},
                                             with_children=bool(params.get("with_children")),
                                             blob=records.blob, progress=progress)
    finally:
        seeder.close()
    audit.record("backup.seed.done", actor="system", customer=snap.plan.customer, target=snap.id,
                 outcome="ok" if not report["failed"] else "partial",
                 detail={"to_source": target.id, "records": report["records"], "failed": len(report["failed"]),
                         "masked": report["masked"]})
    return report
