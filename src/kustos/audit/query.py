"""Reading and verifying the audit log (COMPLIANCE.md 7), for the CLI, the API and the dashboard.

``events`` lists events newest first, filtered by customer, actor, action prefix and time, within
the caller's scope (``accounts.access.audit_scope``; a customer outside it answers 404).
``verify`` walks the whole chain (``audit.services.verify_chain``) and names the first broken entry.
The CLI runs as the installation (``user=None``): it sees everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.audit.models import AuditEvent
from kustos.audit.services import verify_chain

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
MAX_OFFSET = 1_000_000


@dataclass(frozen=True)
class Filters:
    customer: str = ""
    user: str = ""
    action: str = ""
    since: datetime | None = None
    until: datetime | None = None
    offset: int = 0
    limit: int = DEFAULT_LIMIT


def parse_time(value: str | None, name: str, *, end_of_day: bool = False) -> datetime | None:
    """An ISO date or date-time (naive = UTC); a clear error naming the option otherwise. A bare
    date means the start of that day, or with ``end_of_day`` its last instant (``until`` includes it)."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        day = parse_date(value) if len(value) == 10 else None
        parsed = datetime(day.year, day.month, day.day) if day else parse_datetime(value)
        if day and end_of_day:
            parsed += timedelta(days=1, microseconds=-1)
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValidationError(f"{name} must be an ISO date or date-time (YYYY-MM-DD[THH:MM[:SS]]), not {value!r}")
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def filters(*, customer: str = "", user: str = "", action: str = "", since: str | None = None,
            until: str | None = None, offset: int = 0, limit: int = DEFAULT_LIMIT) -> Filters:
    """Validated filters from plain strings (one-line errors naming the bad value)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")
    if not 0 <= offset <= MAX_OFFSET:
        raise ValidationError(f"offset must be between 0 and {MAX_OFFSET}, not {offset}")
    f = Filters(customer=(customer or "").strip(), user=(user or "").strip().lower(),
                action=(action or "").strip(), since=parse_time(since, "since"), until=parse_time(until, "until", end_of_day=True),
                offset=offset, limit=limit)
    if f.since and f.until and f.since > f.until:
        raise ValidationError("since must not be after until")
    return f


def scoped(user: Any) -> QuerySet[AuditEvent]:
    """Every event ``user`` may read; ``None`` is the installation itself (CLI)."""
    qs = AuditEvent.objects.all()
    return qs if user is None else qs.filter(access.audit_scope(user))


def events(user: Any, f: Filters) -> list[AuditEvent]:
    """One page of events, newest first. A customer outside the caller's scope answers 404."""
    qs = scoped(user)
    if f.customer:
        if user is not None:
            access.get_customer(user, f.customer, Perm.AUDIT_VIEW)
        qs = qs.filter(customer_id=f.customer)
    if f.user:
        qs = qs.filter(actor__iexact=f.user)
    if f.action:
        qs = qs.filter(action__startswith=f.action)
    if f.since:
        qs = qs.filter(at__gte=f.since)
    if f.until:
        qs = qs.filter(at__lte=f.until)
    return list(qs.order_by("-seq")[f.offset:f.offset + f.limit])


def row(ev: AuditEvent) -> dict[str, Any]:
    return {"seq": ev.seq, "at": ev.at.isoformat(), "actor": ev.actor, "action": ev.action,
            "customer": ev.customer_id, "target": ev.target, "outcome": ev.outcome, "detail": ev.detail}


def verify(user: Any = None) -> dict[str, Any]:
    """``{"ok", "events", "first_broken": {"seq", "reason"} | None}``; 403 without ``audit.verify``."""
    if user is not None:
        access.require(user, Perm.AUDIT_VERIFY)
    report = verify_chain()
    first = min(report.broken, key=lambda b: b["seq"]) if report.broken else None
    return {"ok": report.ok, "events": report.checked,
            "first_broken": {"seq": first["seq"], "reason": first["problem"]} if first else None}
