"""Retention arithmetic (§ 147 AO, § 257 HGB): the period ends on 31 December of
(year of sending/receipt + N), the year taken in Europe/Berlin.

Booking vouchers (Buchungsbelege): 8 years since 1 January 2025 (BEG IV) for every voucher
whose 10-year period had not ended by then; vouchers whose period had already ended keep
the 10 years (:func:`voucher_years`). A class of 8 years is treated as the voucher class.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")
LONGEST_YEARS = 10  # unclassified mail gets the longest applicable period
VOUCHER_YEARS = 8
VOUCHER_CHANGE = date(2025, 1, 1)  # BEG IV: 10 -> 8 years for booking vouchers
MAX_YEAR = 9999  # the last year a date can hold


def berlin_year(when: datetime) -> int:
    if when.tzinfo is None:
        when = when.replace(tzinfo=ZoneInfo("UTC"))
    return when.astimezone(BERLIN).year


def voucher_years(base_year: int) -> int:
    """8 for a voucher of ``base_year`` whose 10-year period had not ended by 1 Jan 2025, else 10."""
    old_end = date(base_year + LONGEST_YEARS, 12, 31)
    return VOUCHER_YEARS if old_end >= VOUCHER_CHANGE else LONGEST_YEARS


def period_years(years: int, base_year: int) -> int:
    """The period that applies to mail of ``base_year`` in a class of ``years`` years."""
    return voucher_years(base_year) if years == VOUCHER_YEARS else years


def expiry_year(when: datetime | None, years: int = LONGEST_YEARS, *, now: datetime | None = None) -> int:
    """The calendar year whose 31 December ends the retention period."""
    base = when or now or datetime.now(BERLIN)
    year = berlin_year(base)
    return min(year + period_years(years, year), MAX_YEAR)  # a forged far-future Date cannot overflow


def retention_end(when: datetime | None, years: int = LONGEST_YEARS, *, now: datetime | None = None) -> date:
    return date(expiry_year(when, years, now=now), 12, 31)


def end_for(when: datetime | None, years: int | None, *, now: datetime | None = None) -> date | None:
    """Retention end of mail sent/received at ``when`` in a class of ``years`` (None = keep forever)."""
    return None if years is None else retention_end(when, years, now=now)


def later(a: date | None, b: date | None) -> bool:
    """True when end ``b`` lies after ``a`` (None = never ends, the latest of all)."""
    if a is None:
        return False
    return b is None or b > a
