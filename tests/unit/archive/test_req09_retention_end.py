"""Requirement 9: the retention end is 31 December of (year of sending/receipt + N), the year
taken in Europe/Berlin; booking vouchers keep 8 years since 2025 unless their 10-year period
had already ended by 1 January 2025."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from kustos.archive.retention import end_for, expiry_year, later, period_years, retention_end, voucher_years


def test_req09_new_years_eve_23_59_berlin_is_still_the_old_year():
    berlin_2359 = datetime(2023, 12, 31, 22, 59, tzinfo=UTC)  # 23:59 CET
    assert retention_end(berlin_2359, 6) == date(2029, 12, 31)
    assert retention_end(berlin_2359, 10) == date(2033, 12, 31)


def test_req09_utc_evening_of_new_years_eve_is_already_next_year_in_berlin():
    utc_2330 = datetime(2023, 12, 31, 23, 30, tzinfo=UTC)  # 00:30 on 1 January 2024 in Berlin
    assert retention_end(utc_2330, 6) == date(2030, 12, 31)
    # and a New York evening that is still 2023 locally is 2024 in Berlin too
    new_york = datetime(2023, 12, 31, 19, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert expiry_year(new_york, 10) == 2034
    # summer time: 31 December has none, but 30 June 23:30 UTC is 1 July 01:30 CEST (same year)
    assert expiry_year(datetime(2023, 6, 30, 23, 30, tzinfo=UTC), 6) == 2029


def test_req09_leap_day_ends_on_31_december_without_error():
    leap = datetime(2024, 2, 29, 12, 0, tzinfo=UTC)
    assert retention_end(leap, 6) == date(2030, 12, 31)
    assert retention_end(leap, 10) == date(2034, 12, 31)
    assert retention_end(datetime(2020, 2, 29, tzinfo=UTC), 7) == date(2027, 12, 31)


def test_req09_booking_vouchers_8_years_unless_their_10_years_had_ended_by_2025():
    # 2014: the 10-year period ended 31.12.2024, before 1.1.2025 -> stays 10
    assert voucher_years(2014) == 10
    # 2015: the 10-year period (31.12.2025) had not ended on 1.1.2025 -> 8
    assert voucher_years(2015) == 8
    assert voucher_years(2024) == 8
    assert retention_end(datetime(2014, 5, 1, tzinfo=UTC), 8) == date(2024, 12, 31)
    assert retention_end(datetime(2015, 5, 1, tzinfo=UTC), 8) == date(2023, 12, 31)
    assert retention_end(datetime(2024, 5, 1, tzinfo=UTC), 8) == date(2032, 12, 31)
    # other periods are unaffected
    assert period_years(6, 2014) == 6 and period_years(10, 2020) == 10


def test_req09_keep_forever_and_missing_dates():
    assert end_for(datetime(2020, 1, 1, tzinfo=UTC), None) is None
    assert end_for(None, 6, now=datetime(2025, 3, 1, tzinfo=UTC)) == date(2031, 12, 31)
    assert later(date(2030, 12, 31), None) and later(date(2030, 12, 31), date(2031, 12, 31))
    assert not later(None, date(2099, 12, 31)) and not later(date(2030, 12, 31), date(2030, 12, 31))


def test_req09_a_far_future_date_ends_in_the_last_representable_year():
    assert retention_end(datetime(9995, 6, 1, tzinfo=UTC), 10) == date(9999, 12, 31)
