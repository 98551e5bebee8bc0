"""Timeliness alerts (requirement 2): late ingest batches and silent journaling addresses.

* Ingest lag: after every batch of a live source (SMTP journaling, IMAP, POP3, Microsoft 365,
  Google Workspace) the lag of each new message — its archive time minus its ``Date`` — is
  measured; when the batch's median lag exceeds ``Settings.alert_ingest_lag_minutes`` an alert
  is recorded (``alert.ingest_lag``) and mailed. The median keeps one old mail moved into an
  inbox from raising an alarm; a source's first run (its backlog) is not measured.
* Silence: a journaling address that received nothing for ``Settings.alert_silent_working_days``
  working days (Monday to Friday, Europe/Berlin) is alerted once per incident
  (``alert.journal_silent``); scheduled sources are watched by ``alerts.check_silent``.

Both are audit events, which the dashboard banner and ``kustos alerts list`` read.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from statistics import median
from typing import Any

from django.db.models import Max
from django.utils import timezone

from kustos.archive.models import JournalEndpoint, Message
from kustos.archive.services import alerts_common
from kustos.audit import services as audit
from kustos.audit.models import AuditEvent
from kustos.core import runtime
from kustos.tenants.models import Customer

LIVE_SOURCES = frozenset({"smtp", "imap", "pop3", "graph", "gmail"})
LAG_ACTION = "alert.ingest_lag"
SILENT_ACTION = "alert.journal_silent"
BATCH_ACTION = "ingest.batch"
#: how long a lag alert stays in the banner
LAG_BANNER = timedelta(days=3)


def lag_threshold() -> timedelta:
    return timedelta(minutes=max(1, int(runtime.settings().alert_ingest_lag_minutes)))


def batch_lag(customer: Customer, *, source: str, endpoint: str, message_ids: list[str],
              backlog: bool = False, threshold: timedelta | None = None) -> dict[str, Any] | None:
    """Measure one batch; alert (audit + mail) and return the measurement when it is late."""
    if source not in LIVE_SOURCES or backlog or not message_ids:
        return None
    threshold = threshold or lag_threshold()
    rows = Message.objects.filter(customer=customer, id__in=message_ids[:5000], date__isnull=False).values_list(
        "date", "archived_at")
    lags = [max(timedelta(0), archived - sent) for sent, archived in rows]
    if not lags:
        return None
    middle = median(lags)
    if middle <= threshold:
        return None
    measured = {"source": source, "endpoint": endpoint, "messages": len(lags),
                "late": sum(1 for lag in lags if lag > threshold),
                "median_lag_minutes": int(middle.total_seconds() // 60),
                "max_lag_minutes": int(max(lags).total_seconds() // 60),
                "threshold_minutes": int(threshold.total_seconds() // 60)}
    sent = alerts_common.alert(
        customer, "source.late", f"[Kustos] mail of {customer.name} is archived late",
        f"A batch of {len(lags)} messages from {source} ({endpoint}) of customer {customer.name} was archived "
        f"{measured['median_lag_minutes']} minutes (median) after the messages' dates; the threshold is "
        f"{measured['threshold_minutes']} minutes.\n", measured)
    audit.record(LAG_ACTION, actor="system", customer=customer, target=endpoint[:200],
                 detail={**measured, "recipients": sent})
    return measured


def last_deliveries(endpoints: list[JournalEndpoint]) -> dict[str, datetime]:
    """Each endpoint's last delivery (its newest ingest batch, else its creation) by customer id, in
    one query for any number of endpoints."""
    if not endpoints:
        return {}
    newest = {(r["customer_id"], r["target"]): r["last"] for r in
              AuditEvent.objects.filter(action=BATCH_ACTION, customer_id__in=[e.customer_id for e in endpoints])
              .values("customer_id", "target").annotate(last=Max("at")).order_by()}
    return {e.customer_id: newest.get((e.customer_id, e.local_part)) or e.created_at for e in endpoints}


def silent_journals(customers: Any = None, now: datetime | None = None) -> list[tuple[JournalEndpoint, datetime]]:
    """Journaling addresses silent for the threshold of working days, with their last delivery."""
    now = now or timezone.now()
    days = alerts_common.silent_threshold()
    qs = JournalEndpoint.objects.select_related("customer").filter(customer__status=Customer.Status.ACTIVE)
    if customers is not None:
        qs = qs.filter(customer__in=customers)
    out = []
    endpoints = list(qs)
    delivered = last_deliveries(endpoints)
    for endpoint in endpoints:
        last = delivered[endpoint.customer_id]
        if alerts_common.working_days_between(last, now) >= days:
            out.append((endpoint, last))
    return out


def check_silent_journals(now: datetime | None = None) -> int:
    """Alert once per incident for every silent journaling address; returns how many were alerted."""
    now = now or timezone.now()
    days = alerts_common.silent_threshold()
    count = 0
    for endpoint, last in silent_journals(now=now):
        customer = endpoint.customer
        if AuditEvent.objects.filter(action=SILENT_ACTION, customer_id=customer.id, target=endpoint.local_part,
                                     at__gte=last).exists():
            continue
        sent = alerts_common.alert(
            customer, "journal.silent", f"[Kustos] journaling address of {customer.name} receives no mail",
            f"The journaling address {endpoint.local_part} of customer {customer.name} has received no mail for "
            f"{days} working days (Monday to Friday). Check the journaling rule of the mail server.\n",
            {"address": endpoint.local_part, "last_delivery": last.isoformat(), "working_days": days})
        audit.record(SILENT_ACTION, actor="system", customer=customer, target=endpoint.local_part,
                     detail={"last_delivery": last.isoformat(), "working_days": days, "recipients": sent})
        count += 1
    return count


def open_alerts(customers: Any, now: datetime | None = None) -> list[dict[str, Any]]:
    """Banner rows for ``customers`` (a queryset the caller may see): silent journaling addresses
    and late batches of the last days (newest first)."""
    now = now or timezone.now()
    rows: list[dict[str, Any]] = [
        {"kind": "journal_silent", "customer_id": e.customer_id, "customer": e.customer.name,
         "endpoint": e.local_part, "since": last} for e, last in silent_journals(customers, now)]
    late = (AuditEvent.objects.filter(action=LAG_ACTION, customer_id__in=customers.values("id"),
                                      at__gte=now - LAG_BANNER).order_by("-at")[:10])
    names = dict(Customer.objects.filter(id__in={e.customer_id for e in late}).values_list("id", "name"))
    rows += [{"kind": "ingest_lag", "customer_id": e.customer_id, "customer": names.get(e.customer_id, ""),
              "endpoint": e.target, "since": e.at, "source": e.detail.get("source", ""),
              "median_lag_minutes": e.detail.get("median_lag_minutes"), "messages": e.detail.get("messages")}
             for e in late]
    return rows

