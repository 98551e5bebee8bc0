"""Source alerts: repeated failures and sources that stopped delivering mail.

Shown as a banner in the dashboard (``open_alerts``) and mailed once per incident to
the partner's admins and the customer's admins. "Stopped delivering" counts working days
(Monday to Friday, Europe/Berlin; ``Settings.alert_silent_working_days``), so a quiet weekend
is no incident. Journaling addresses that fall silent and batches that arrive late are
watched by ``alerts_ingest`` (requirement 2).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from kustos.archive.models import Source
from kustos.archive.services import alerts_common, alerts_ingest
from kustos.audit import services as audit
from kustos.audit.models import AuditEvent

FAILURE_THRESHOLD = 3
SILENT_DAYS = alerts_common.SILENT_DAYS  # default of Settings.alert_silent_working_days
working_days_between = alerts_common.working_days_between
silent_threshold = alerts_common.silent_threshold


def _notify(source: Source, subject: str, text: str, kind: str) -> None:
    event = "source.failing" if kind == "failing" else "source.late"
    sent = alerts_common.alert(source.customer, event, subject, text, {
        "source": source.id, "name": source.name, "kind": source.kind, "alert": kind,
        "consecutive_failures": source.consecutive_failures, "last_error": (source.last_error or "")[:300]})
    Source.objects.filter(id=source.id).update(alerted_at=timezone.now())
    audit.record("source.alert", actor="system", customer=source.customer, target=source.id,
                 detail={"subject": subject, "recipients": sent, "kind": kind})


def source_failed(source: Source) -> None:
    if source.consecutive_failures >= FAILURE_THRESHOLD and source.alerted_at is None:
        _notify(source, f"[Kustos] archive source {source.name} of {source.customer.name} is failing",
                f"The archive source {source.name} ({source.kind}) of customer {source.customer.name} failed "
                f"{source.consecutive_failures} times in a row.\n\nLast error: {source.last_error}\n", "failing")


def _last_delivery(source: Source) -> datetime:
    return source.last_item_at or source.created_at


def silent_sources(customers: Any = None, now: datetime | None = None) -> list[Source]:
    """Active sources that ran fine but brought no mail for the threshold of working days."""
    now = now or timezone.now()
    days = silent_threshold()
    rough = now - timedelta(days=days)  # no working-day span is shorter than the same number of days
    qs = Source.objects.filter(paused=False, last_success_at__isnull=False, created_at__lt=rough).filter(
        Q(last_item_at__lt=rough) | Q(last_item_at__isnull=True)).select_related("customer")
    if customers is not None:
        qs = qs.filter(customer__in=customers)
    return [s for s in qs if working_days_between(_last_delivery(s), now) >= days]


def check_silent(now=None) -> int:
    """Alert once per incident for silent sources and silent journaling addresses (see alerts_ingest)."""
    from_sources = check_silent_sources(now)
    return from_sources + alerts_ingest.check_silent_journals(now)


def check_silent_sources(now=None) -> int:
    now = now or timezone.now()
    days = silent_threshold()
    count = 0
    for source in silent_sources(now=now):
        already = AuditEvent.objects.filter(action="source.alert", target=source.id, detail__kind="silent",
                                            at__gte=_last_delivery(source)).exists()
        if already:
            continue
        _notify(source, f"[Kustos] archive source {source.name} of {source.customer.name} delivers no mail",
                f"The archive source {source.name} ({source.kind}) has not delivered any mail for {days} working "
                f"days (Monday to Friday).\n", "silent")
        count += 1
    return count


def open_alerts(customers: Any) -> list[Source]:
    """Failing or silent sources among ``customers`` (a queryset the caller may see)."""
    failing = list(Source.objects.filter(customer__in=customers, paused=False)
                   .filter(Q(consecutive_failures__gte=FAILURE_THRESHOLD) | Q(alerted_at__isnull=False))
                   .select_related("customer"))
    seen = {s.id for s in failing}
    return failing + [s for s in silent_sources(customers) if s.id not in seen]


def rows(customers: Any, now: datetime | None = None) -> list[dict[str, Any]]:
    """Every open archive alert of ``customers`` as plain rows (``kustos alerts list``, the API):
    failing and silent sources, silent journaling addresses, late ingest batches."""
    out: list[dict[str, Any]] = []
    for s in open_alerts(customers):
        failing = s.consecutive_failures >= FAILURE_THRESHOLD
        since = s.last_run_at if failing else _last_delivery(s)
        out.append({"kind": "source_failing" if failing else "source_silent", "customer_id": s.customer_id,
                    "customer": s.customer.name, "source": s.id, "name": s.name,
                    "since": since.isoformat() if since else None})
    out += [{**r, "since": r["since"].isoformat()} for r in alerts_ingest.open_alerts(customers, now)]
    return out
