"""Each customer's state per service (archive, backup): green, yellow or red with the reasons in
words, the last success and the next scheduled run — read from the state the services keep
(archive sources, journaling deliveries, backup plans and alerts, trials). No N+1: one query per
kind of state for any number of customers (``states``)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kustos.archive.models import JournalEndpoint, Source
from kustos.archive.services import alerts_common, alerts_ingest
from kustos.archive.services.alerts import FAILURE_THRESHOLD
from kustos.backup.models import BackupAlert, BackupPlan
from kustos.billing.models import ServiceActivation
from kustos.tenants.models import Customer

GREEN, YELLOW, RED, OFF = "green", "yellow", "red", "off"
RANK = {OFF: 0, GREEN: 1, YELLOW: 2, RED: 3}
SERVICES = ("archive", "backup")
TRIAL_WARN_DAYS = 3  # a trial ending within this many days is worth a look
BACKUP_RED_AFTER = timedelta(days=3)  # no successful backup for this long is red (late is yellow before)


@dataclass
class ServiceHealth:
    service: str
    state: str = GREEN
    reasons: list[tuple[str, str]] = field(default_factory=list)  # (code, text in the active language)
    last_success: datetime | None = None
    next_run: datetime | None = None

    def flag(self, state: str, code: str, text: str) -> None:
        if RANK[state] > RANK[self.state]:
            self.state = state
        self.reasons.append((code, text))

    @property
    def reason_text(self) -> str:
        return "; ".join(t for _, t in self.reasons) or _("ok")

    def as_dict(self) -> dict[str, Any]:
        return {"service": self.service, "state": self.state,
                "reasons": [{"code": c, "text": t} for c, t in self.reasons] or [{"code": "ok", "text": _("ok")}],
                "last_success": self.last_success.isoformat() if self.last_success else None,
                "next_run": self.next_run.isoformat() if self.next_run else None}


@dataclass
class CustomerHealth:
    id: str
    name: str
    partner: str
    services: dict[str, ServiceHealth]

    @property
    def state(self) -> str:
        return max((s.state for s in self.services.values()), key=RANK.__getitem__, default=OFF)

    @property
    def archive(self) -> ServiceHealth:
        return self.services["archive"]

    @property
    def backup(self) -> ServiceHealth:
        return self.services["backup"]

    def as_dict(self) -> dict[str, Any]:
        return {"customer_id": self.id, "customer": self.name, "partner": self.partner, "state": self.state,
                "services": {k: v.as_dict() for k, v in self.services.items()}}


def _since(moment: datetime, now: datetime) -> str:
    """"Tue" within the last week, else a short date (Europe/Berlin)."""
    local = timezone.localtime(moment, alerts_common.BERLIN)
    if now - moment < timedelta(days=6):
        return date_format(local, "D")
    return date_format(local, "SHORT_DATE_FORMAT")


def _min(values: list[datetime | None]) -> datetime | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def _max(values: list[datetime | None]) -> datetime | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def _trial(out: ServiceHealth, trial: ServiceActivation | None, now: datetime) -> None:
    if trial is None or trial.trial_ends_at is None:
        return
    left = trial.trial_ends_at - now
    if timedelta(0) <= left <= timedelta(days=TRIAL_WARN_DAYS):
        days = left.days
        text = _("trial ends today") if days == 0 else ngettext(
            "trial ends in %(n)d day", "trial ends in %(n)d days", days) % {"n": days}
        out.flag(YELLOW, "trial_ending", text)


def _archive(sources: list[Any], journal: tuple[JournalEndpoint, datetime] | None, now: datetime,
             silent_days: int) -> ServiceHealth:
    out = ServiceHealth("archive")
    active = [s for s in sources if not s.paused]
    failing = [s for s in active if s.consecutive_failures >= FAILURE_THRESHOLD]
    erring = [s for s in active if 0 < s.consecutive_failures < FAILURE_THRESHOLD]
    silent = [s for s in active if s.consecutive_failures == 0 and s.last_success_at is not None
              and alerts_common.working_days_between(s.last_item_at or s.created_at, now) >= silent_days]
    if failing:
        out.flag(RED, "sources_failing", ngettext("%(n)d source failing", "%(n)d sources failing",
                                                  len(failing)) % {"n": len(failing)})
    if erring:
        out.flag(YELLOW, "sources_erring", ngettext("last run of %(n)d source failed",
                                                    "last run of %(n)d sources failed", len(erring)) % {"n": len(erring)})
    if silent:
        last = _max([s.last_item_at or s.created_at for s in silent])
        out.flag(YELLOW, "sources_silent", ngettext("%(n)d source silent since %(day)s",
                                                    "%(n)d sources silent since %(day)s", len(silent))
                 % {"n": len(silent), "day": _since(last, now)})
    last_delivery = None
    if journal is not None:
        endpoint, last_delivery = journal
        if alerts_common.working_days_between(last_delivery, now) >= silent_days:
            out.flag(YELLOW, "journal_silent", _("journaling silent since %(day)s") % {"day": _since(last_delivery, now)})
        if last_delivery == endpoint.created_at:
            last_delivery = None  # nothing delivered yet
    if not sources and journal is None:
        out.flag(YELLOW, "no_source", _("no source connected"))
    elif sources and not active and journal is None:
        out.flag(YELLOW, "all_paused", _("all sources paused"))
    out.last_success = _max([s.last_success_at for s in sources] + [last_delivery])
    out.next_run = _min([max((s.last_run_at or now) + timedelta(minutes=s.interval_minutes), now) if s.last_run_at
                         else now for s in active])
    return out


def _backup(plans: list[BackupPlan], alerts: dict[str, int], now: datetime) -> ServiceHealth:
    out = ServiceHealth("backup")
    active = [p for p in plans if not p.paused]
    if not plans:
        out.flag(YELLOW, "no_plan", _("no backup plan"))
        return out
    failing = [p for p in active if p.last_error]  # a run's failure sets it, the next success clears it
    if failing:
        out.flag(RED, "plans_failing", ngettext("%(n)d backup plan failing", "%(n)d backup plans failing",
                                                len(failing)) % {"n": len(failing)})
    severe = alerts.get("high", 0) + alerts.get("critical", 0)
    if severe:
        out.flag(RED, "alerts", ngettext("%(n)d open alert", "%(n)d open alerts", severe) % {"n": severe})
    if alerts.get("warning"):
        n = alerts["warning"]
        out.flag(YELLOW, "warnings", ngettext("%(n)d open warning", "%(n)d open warnings", n) % {"n": n})
    for plan in active:
        if plan in failing:
            continue
        late_after = max(timedelta(minutes=2 * plan.interval_minutes), timedelta(days=1))
        since = plan.last_success_at or plan.activated_at
        age = now - since
        if age <= late_after:
            continue
        if plan.last_success_at is None:
            text = _("no backup yet")
        else:
            days = age.days
            text = ngettext("last backup %(n)d day ago", "last backup %(n)d days ago", days) % {"n": days}
        out.flag(RED if age > BACKUP_RED_AFTER else YELLOW, "backup_late", text)
        break  # one late plan names the problem; more would repeat it
    if not active:
        out.flag(YELLOW, "all_paused", _("all backup plans paused"))
    out.last_success = _max([p.last_success_at for p in plans])
    out.next_run = _min([max(p.last_run_at + timedelta(minutes=p.interval_minutes), now) if p.last_run_at else now
                         for p in active])
    return out


# what the states read (1,000 customers: only these columns keep the page fast)
_CUSTOMER_FIELDS = ("id", "name", "partner__name", "archiving_enabled", "backup_enabled")
_SOURCE_FIELDS = ("id", "customer_id", "services", "paused", "consecutive_failures", "last_success_at",
                  "last_item_at", "created_at", "last_run_at", "interval_minutes")


def states(customers: QuerySet[Customer], *, now: datetime | None = None,
           silent_days: int | None = None) -> list[CustomerHealth]:
    """The health of every customer in ``customers`` (a queryset the caller may see), worst first.
    A fixed number of queries, whatever the number of customers."""
    now = now or timezone.now()
    silent_days = silent_days if silent_days is not None else alerts_common.silent_threshold()
    rows = list(customers.order_by().values_list(*_CUSTOMER_FIELDS))  # plain tuples: no model per customer
    ids = customers.values("id")
    sources: dict[str, list[Any]] = defaultdict(list)  # the source columns the states read, by attribute
    for row in Source.objects.filter(customer__in=ids).values(*_SOURCE_FIELDS).order_by():
        if "archive" in (row["services"] or []):
            sources[row["customer_id"]].append(SimpleNamespace(**row))
    endpoints = {e.customer_id: e for e in JournalEndpoint.objects.filter(customer__in=ids)}
    delivered = alerts_ingest.last_deliveries(list(endpoints.values()))
    plans: dict[str, list[BackupPlan]] = defaultdict(list)
    for p in BackupPlan.objects.filter(customer__in=ids).defer("cursors", "scopes"):
        plans[p.customer_id].append(p)
    alerts: dict[str, dict[str, int]] = defaultdict(dict)
    for r in (BackupAlert.objects.filter(customer__in=ids, acknowledged_at__isnull=True)
              .values("customer_id", "severity").annotate(n=Count("id")).order_by()):
        alerts[r["customer_id"]][r["severity"]] = r["n"]
    trials = {(t.customer_id, t.service): t for t in
              ServiceActivation.objects.filter(customer_id__in=ids, trial_ends_at__gte=now, ended_at__isnull=True)}
    not_active = _("not active")  # translated once, not per customer
    out = []
    for customer_id, name, partner_name, archiving_enabled, backup_enabled in rows:
        services: dict[str, ServiceHealth] = {}
        if archiving_enabled:
            e = endpoints.get(customer_id)
            journal = (e, delivered[customer_id]) if e else None
            services["archive"] = _archive(sources.get(customer_id, []), journal, now, silent_days)
        else:
            services["archive"] = ServiceHealth("archive", OFF, [("off", not_active)])
        if backup_enabled:
            services["backup"] = _backup(plans.get(customer_id, []), alerts.get(customer_id, {}), now)
        else:
            services["backup"] = ServiceHealth("backup", OFF, [("off", not_active)])
        for service in SERVICES:
            if services[service].state != OFF:
                _trial(services[service], trials.get((customer_id, service)), now)
        out.append(CustomerHealth(customer_id, name, partner_name, services))
    out.sort(key=lambda h: (-RANK[h.state], h.name.lower()))
    return out


def summary(health: list[CustomerHealth]) -> dict[str, int]:
    """How many customers are in each state (their worst service)."""
    counts = {GREEN: 0, YELLOW: 0, RED: 0, OFF: 0}
    for h in health:
        counts[h.state] += 1
    return counts
