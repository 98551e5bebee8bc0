"""Retention end = 31 December of (year of sending/receipt + N), the year taken in Europe/Berlin."""

from __future__ import annotations

from datetime import UTC, date, datetime

from kustos.archive.retention import expiry_year, retention_end


def test_new_years_eve_late_evening_counts_for_the_old_year_in_berlin():
    # 31.12.2023 23:59 in Berlin is 22:59 UTC: still 2023
    assert retention_end(datetime(2023, 12, 31, 22, 59, tzinfo=UTC), 10) == date(2033, 12, 31)
    # 31.12.2023 23:30 UTC is already 1 January 2024 in Berlin
    assert retention_end(datetime(2023, 12, 31, 23, 30, tzinfo=UTC), 10) == date(2034, 12, 31)


def test_leap_day_and_periods():
    leap = datetime(2024, 2, 29, 12, 0, tzinfo=UTC)
    assert [retention_end(leap, n) for n in (6, 8, 10)] == [date(2030, 12, 31), date(2032, 12, 31),
                                                             date(2034, 12, 31)]


def test_naive_dates_are_utc_and_missing_dates_use_now():
    assert expiry_year(datetime(2020, 6, 1, 12, 0), 6) == 2026
    now = datetime(2025, 3, 1, tzinfo=UTC)
    assert expiry_year(None, 10, now=now) == 2035
