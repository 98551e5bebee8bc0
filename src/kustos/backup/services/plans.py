"""Backup plans: enable backup for a source (scopes, services, schedule), pause, due plans, run now."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.http import Http404
from django.utils import timezone

from kustos.archive.models import Source
from kustos.audit import services as audit
from kustos.backup.models import BackupPlan
from kustos.backup.services import retention
from kustos.jobs import services as jobs
from kustos.jobs.models import Job
from kustos.sources.kinds import registry
from kustos.sources.kinds.fields import Kind

JOB_KIND = "backup.run"
# A run that did not succeed is tried again this long after it started (unless the interval is shorter).
RETRY_FAILED_AFTER = timedelta(minutes=30)
ALL = "all"


def kind_for(source: Source) -> Kind:
    try:
        kind = registry.get(source.kind)
    except KeyError as exc:
        raise ValidationError(exc.args[0]) from None
    if "backup" not in kind.services or getattr(kind, "build_backup", None) is None:
        raise ValidationError(f"source kind {source.kind!r} offers no backup")
    return kind


def offered_services(kind: Kind) -> tuple[str, ...]:
    return tuple(getattr(kind, "backup_services", ()) or ())


def _clean_services(kind: Kind, services: list[str] | None) -> list[str]:
    offered = offered_services(kind)
    chosen = [s.strip() for s in (services or []) if s and s.strip()]
    unknown = [s for s in chosen if s not in offered]
    if unknown:
        raise ValidationError(f"unknown backup service {unknown[0]!r}; {kind.label} offers: {', '.join(offered)}")
    return list(dict.fromkeys(chosen)) or list(offered)


def _clean_scopes(scopes: list[str] | None) -> tuple[bool, list[str]]:
    chosen = [s.strip() for s in (scopes or [ALL]) if s and s.strip()]
    if not chosen or chosen == [ALL]:
        return True, []
    if ALL in chosen:
        raise ValidationError("--scope all cannot be combined with scope ids")
    return False, list(dict.fromkeys(chosen))


def enable(source: Source, *, scopes: list[str] | None = None, services: list[str] | None = None,
           interval_minutes: int | None = None, paused: bool = False, keep: dict[str, Any] | None = None,
           actor: Any = None) -> BackupPlan:
    """Create or update the source's plan and mark backup enabled on the source (``paused``: kept,
    not run on schedule; ``keep``: retention counts such as ``{"keep_last": 7}``, None = unchanged)."""
    kind = kind_for(source)
    all_scopes, scope_ids = _clean_scopes(scopes)
    chosen = _clean_services(kind, services)
    if interval_minutes is not None and not 15 <= interval_minutes <= 7 * 24 * 60:
        raise ValidationError("the backup interval must be between 15 minutes and 7 days")
    keep_counts = retention.clean(keep or {})
    with transaction.atomic():
        plan = BackupPlan.objects.filter(source=source).first()
        created = plan is None
        if plan is None:
            plan = BackupPlan(customer_id=source.customer_id, source=source)
        plan.all_scopes, plan.scopes, plan.services = all_scopes, scope_ids, chosen
        if interval_minutes is not None:
            plan.interval_minutes = interval_minutes
        plan.paused = paused
        for name, value in keep_counts.items():
            setattr(plan, name, value)
        plan.save()
        if "backup" not in (source.services or []):
            source.services = [*(source.services or []), "backup"]
            Source.objects.filter(id=source.id).update(services=source.services)
    audit.record("backup.enable", actor=actor, customer=source.customer, target=plan.id,
                 detail={"source": source.id, "created": created, "scopes": scope_ids or ALL, "services": chosen,
                         "paused": paused, "retention": retention.public(plan)})
    return plan


def pause(plan: BackupPlan, paused: bool, *, actor: Any = None) -> BackupPlan:
    plan.paused = paused
    plan.save(update_fields=["paused"])
    audit.record("backup.pause" if paused else "backup.resume", actor=actor, customer=plan.customer, target=plan.id)
    return plan


def backup_capable(customer: Any) -> list[Source]:
    """The customer's sources whose kind offers backup and that have no plan yet."""
    out = []
    for source in Source.objects.filter(customer=customer, backup_plan__isnull=True).order_by("name"):
        kind = registry.KINDS.get(source.kind)
        if kind is not None and "backup" in kind.services and getattr(kind, "build_backup", None) is not None:
            out.append(source)
    return out


def for_source(source: Source) -> BackupPlan:
    plan = BackupPlan.objects.select_related("customer", "source").filter(source=source).first()
    if plan is None:
        raise Http404(f"backup is not enabled for source {source.id}")
    return plan


def public(plan: BackupPlan) -> dict[str, Any]:
    return {"plan": plan.id, "source": plan.source_id, "customer": plan.customer_id,
            "scopes": ALL if plan.all_scopes else plan.scopes, "services": plan.services,
            "interval_minutes": plan.interval_minutes, "paused": plan.paused,
            "activated_at": plan.activated_at, "last_run_at": plan.last_run_at,
            "last_success_at": plan.last_success_at, "last_error": plan.last_error,
            **retention.public(plan)}


def run_now(plan: BackupPlan, *, actor: Any = None) -> Job:
    return jobs.create(JOB_KIND, customer=plan.customer, params={"plan": plan.id},
                       created_by=getattr(actor, "email", actor) or "system", max_attempts=1)


def _next_run(plan: BackupPlan) -> datetime | None:
    """When the plan is due: never run → now; the last run did not succeed (failed, or its process was
    killed and the job reaper failed it) → ``RETRY_FAILED_AFTER`` after it started, if that is sooner
    than the interval; else one interval after the last run started."""
    if plan.last_run_at is None:
        return None
    wait = timedelta(minutes=plan.interval_minutes)
    if plan.last_success_at is None or plan.last_success_at < plan.last_run_at:
        wait = min(wait, RETRY_FAILED_AFTER)
    return plan.last_run_at + wait


def due(now=None) -> list[BackupPlan]:
    """Unpaused plans that are due (``_next_run``) and have no queued or running run (a run whose
    process was killed is failed by the job reaper when its heartbeat stops, ``jobs/reaper.py``)."""
    now = now or timezone.now()
    busy = set(Job.objects.filter(kind=JOB_KIND, state__in=["queued", "running", "retrying"])
               .values_list("params__plan", flat=True))
    plans = BackupPlan.objects.select_related("customer").filter(paused=False, source__paused=False)
    plans = plans.filter(_due_rows(plans, now)).defer("cursors")  # only due rows are read (10,000 plans)
    return [plan for plan in plans if plan.id not in busy and ((nxt := _next_run(plan)) is None or nxt <= now)]


def _due_rows(plans, now: datetime) -> Q:
    """``_next_run(plan) <= now`` in SQL, per distinct interval (a few of them)."""
    succeeded = Q(last_success_at__gte=F("last_run_at"))
    due = Q(last_run_at__isnull=True)
    intervals = set(plans.order_by().values_list("interval_minutes", flat=True).distinct())
    if len(intervals) > 200:
        return Q()  # so many different intervals (SQLite's expression depth): every row, decided below
    for minutes in intervals:
        interval = timedelta(minutes=minutes)
        due |= Q(interval_minutes=minutes) & (
            (succeeded & Q(last_run_at__lte=now - interval))
            | (~succeeded & Q(last_run_at__lte=now - min(interval, RETRY_FAILED_AFTER))))
    return due
