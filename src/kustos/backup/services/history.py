"""Protected data over time: per day, the totals (items, bytes) of each plan's last snapshot up to the end
of that day, summed over the plans. A day without a snapshot carries the plan's previous snapshot over
(that is what was protected that day); before a plan's first snapshot it counts nothing."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from kustos.backup.models import BackupPlan, BackupSnapshot
from kustos.tenants.models import Customer

RANGES = (30, 90, 365)
DEFAULT_DAYS = RANGES[0]


def clean_days(raw: Any) -> int:
    """The chart range in days: one of ``RANGES``."""
    try:
        days = int(raw) if raw not in (None, "") else DEFAULT_DAYS
    except (TypeError, ValueError):
        days = -1
    if days not in RANGES:
        raise ValidationError(f"days must be one of {', '.join(map(str, RANGES))}")
    return days


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def protected(customer: Customer, days: int = DEFAULT_DAYS, plan: BackupPlan | None = None,
              today: date | None = None) -> list[dict[str, Any]]:
    """``[{"day", "items", "bytes", "snapshots"}]`` for the ``days`` days up to ``today`` (oldest first);
    ``snapshots`` counts the snapshots taken that day. Only ``plan`` when given."""
    today = today or timezone.localdate()
    first = today - timedelta(days=days - 1)
    start, end = _start_of(first), _start_of(today + timedelta(days=1))
    plans = [plan] if plan is not None else list(BackupPlan.objects.filter(customer=customer))
    out = [{"day": first + timedelta(days=n), "items": 0, "bytes": 0, "snapshots": 0} for n in range(days)]
    for p in plans:
        fields = ("time", "items", "bytes")
        carried = BackupSnapshot.objects.filter(plan=p, time__lt=start).order_by("-time").values(*fields).first()
        rows = list(BackupSnapshot.objects.filter(plan=p, time__gte=start, time__lt=end).order_by("time")
                    .values(*fields))
        current, i = carried, 0
        for slot in out:
            next_day = _start_of(slot["day"] + timedelta(days=1))
            while i < len(rows) and rows[i]["time"] < next_day:
                current = rows[i]
                slot["snapshots"] += 1
                i += 1
            if current is not None:
                slot["items"] += int(current["items"])
                slot["bytes"] += int(current["bytes"])
    return out
