"""Usage over time for the charts: the archive's stored bytes and the protected backup accounts per
calendar day (Europe/Berlin), from the daily ``UsageSample`` rows — per customer or summed over a
set of customers (a partner's, or all for the operator). One query."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet, Sum
from django.utils import timezone

from kustos.archive.services.alerts_common import BERLIN
from kustos.billing.models import UsageSample
from kustos.tenants.models import Customer

DEFAULT_DAYS = 90
MAX_DAYS = 730


def clean_days(days: int) -> int:
    """A period of 1 to ``MAX_DAYS`` days, or a ValidationError naming the bound."""
    if not 1 <= int(days) <= MAX_DAYS:
        raise ValidationError(f"days must be between 1 and {MAX_DAYS}, not {days}")
    return int(days)


def today() -> date:
    return timezone.now().astimezone(BERLIN).date()


def daily(customers: QuerySet[Customer], days: int = DEFAULT_DAYS, until: date | None = None) -> dict[str, Any]:
    """``{"days": [...], "stored_bytes": [...], "accounts": [...]}`` for the ``days`` days up to
    ``until`` (today), summed over ``customers``; a day without a sample counts 0."""
    until = until or today()
    start = until - timedelta(days=days - 1)
    sums: dict[tuple[date, str], dict[str, int]] = {}
    for r in (UsageSample.objects.filter(customer_id__in=customers.values("id"), day__gte=start, day__lte=until)
              .values("day", "service").annotate(b=Sum("stored_bytes"), a=Sum("accounts")).order_by()):
        sums[(r["day"], r["service"])] = {"b": r["b"] or 0, "a": r["a"] or 0}
    span = [start + timedelta(days=i) for i in range(days)]
    return {"days": span,
            "stored_bytes": [sums.get((d, "archive"), {}).get("b", 0) for d in span],
            "accounts": [sums.get((d, "backup"), {}).get("a", 0) for d in span]}


def rows(customers: QuerySet[Customer], days: int = DEFAULT_DAYS, until: date | None = None) -> list[dict[str, Any]]:
    """The same series as plain rows (API)."""
    series = daily(customers, days, until)
    return [{"day": d.isoformat(), "stored_bytes": b, "accounts": a}
            for d, b, a in zip(series["days"], series["stored_bytes"], series["accounts"], strict=True)]
