"""Retention arithmetic (§ 147 AO, § 257 HGB): the period ends on 31 December of
(year of sending/receipt + N), the year taken in Europe/Berlin."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")
LONGEST_YEARS = 10  # unclassified mail gets the longest applicable period


def berlin_year(when: datetime) -> int:
    if when.tzinfo is None:
        when = when.replace(tzinfo=ZoneInfo("UTC"))
    return when.astimezone(BERLIN).year


def expiry_year(when: datetime | None, years: int = LONGEST_YEARS, *, now: datetime | None = None) -> int:
    """The calendar year whose 31 December ends the retention period."""
    base = when or now or datetime.now(BERLIN)
    return berlin_year(base) + years


def retention_end(when: datetime | None, years: int = LONGEST_YEARS) -> date:
    return date(expiry_year(when, years), 12, 31)
