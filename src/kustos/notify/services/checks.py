"""Events no other module raises: stored volume that grew beyond the partner's threshold
(``storage.growth``, from ``billing.UsageSample``), trials about to end (``trial.ending``, from
``billing.ServiceActivation``) and backup plans without a successful run for three of their intervals
(``backup.late``). Each incident is emitted once (an audit event marks it)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from kustos.audit import services as audit
from kustos.audit.models import AuditEvent
from kustos.backup.models import BackupPlan
from kustos.billing.models import ServiceActivation, UsageSample
from kustos.notify.services import events
from kustos.notify.services.policy import settings_for

GROWTH_ACTION = "notify.storage_growth"
TRIAL_ACTION = "notify.trial_ending"
LATE_ACTION = "notify.backup_late"
LATE_FACTOR = 3  # a plan is late when its last success is older than three of its intervals


def _once(action: str, key: str, customer_id: str, partner_id: str, detail: dict[str, Any]) -> bool:
    if AuditEvent.objects.filter(action=action, target=key).exists():
        return False
    audit.record(action, actor="system", customer=customer_id, partner=partner_id, target=key, detail=detail)
    return True


def storage_growth() -> int:
    """Emit ``storage.growth`` for each customer whose newest archive sample grew by more than the
    partner's percentage against the sample ``growth_days`` earlier."""
    count = 0
    latest_days: dict[str, Any] = {}
    for row in UsageSample.objects.filter(service="archive").order_by("customer_id", "-day"):
        latest_days.setdefault(row.customer_id, row)
    for customer_id, newest in latest_days.items():
        policy = settings_for(newest.partner_id)
        before = UsageSample.objects.filter(customer_id=customer_id, service="archive",
                                            day=newest.day - timedelta(days=policy.growth_days)).first()
        if before is None or before.stored_bytes <= 0:
            continue
        percent = (newest.stored_bytes - before.stored_bytes) * 100 / before.stored_bytes
        if percent <= policy.growth_percent:
            continue
        detail = {"from_bytes": before.stored_bytes, "to_bytes": newest.stored_bytes,
                  "percent": round(percent, 1), "days": policy.growth_days, "day": newest.day.isoformat()}
        if _once(GROWTH_ACTION, f"{customer_id}:{newest.day.isoformat()}", customer_id, newest.partner_id, detail):
            events.emit("storage.growth", partner=newest.partner_id, customer=customer_id,
                        title=f"stored volume of customer {customer_id} grew by {detail['percent']} %",
                        detail=detail)
            count += 1
    return count


def trials_ending(now: datetime | None = None) -> int:
    """Emit ``trial.ending`` once per trial that ends within the partner's notice days."""
    now = now or timezone.now()
    count = 0
    trials = ServiceActivation.objects.filter(trial_ends_at__gt=now, ended_at__isnull=True,
                                              trial_started_at__isnull=False)
    for trial in trials:
        if trial.trial_ends_at > now + timedelta(days=settings_for(trial.partner_id).trial_notice_days):
            continue
        detail = {"service": trial.service, "customer_name": trial.customer_name,
                  "trial_ends_at": trial.trial_ends_at.isoformat(), "then": trial.trial_then}
        if _once(TRIAL_ACTION, trial.id, trial.customer_id, trial.partner_id, detail):
            events.emit("trial.ending", partner=trial.partner_id, customer=trial.customer_id,
                        title=f"the {trial.service} trial of {trial.customer_name} ends "
                              f"{trial.trial_ends_at.date().isoformat()}", detail=detail)
            count += 1
    return count


def backups_late(now: datetime | None = None) -> int:
    """Emit ``backup.late`` once per incident for active plans whose last success (or activation) is
    older than ``LATE_FACTOR`` intervals."""
    now = now or timezone.now()
    count = 0
    for plan in BackupPlan.objects.filter(paused=False).select_related("customer", "source"):
        since = plan.last_success_at or plan.activated_at
        if since is None or now - since <= timedelta(minutes=plan.interval_minutes * LATE_FACTOR):
            continue
        customer = plan.customer
        detail = {"source": plan.source_id, "plan": plan.id, "last_success_at": since.isoformat(),
                  "interval_minutes": plan.interval_minutes, "last_error": (plan.last_error or "")[:300]}
        if _once(LATE_ACTION, f"{plan.id}:{since.isoformat()}", customer.id, customer.partner_id, detail):
            events.emit("backup.late", partner=customer.partner_id, customer=customer,
                        title=f"backup of {plan.source.name} of {customer.name} has not succeeded since "
                              f"{since.date().isoformat()}", detail=detail)
            count += 1
    return count


def run_all(now: datetime | None = None) -> dict[str, int]:
    return {"storage_growth": storage_growth(), "trials_ending": trials_ending(now), "backups_late": backups_late(now)}
