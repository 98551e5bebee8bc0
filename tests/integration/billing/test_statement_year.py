"""The monthly billing statement against an independent day-by-day computation over a synthetic
year (trials converting and ending, mid-month activations, cancellations by deletion, price
changes, two partners): every month, per partner and operator-wide, byte for byte as CSV."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from kustos.billing.models import Price
from kustos.billing.services import statement_csv
from kustos.billing.services.statement import MissingPrice, statement
from tests.integration.billing.statement_world import HEADER, YEAR, World, expected_rows, parse

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return World()


def _csv(month: str, partner=None) -> tuple[list[str], list[list[str]]]:
    return parse(statement_csv.to_bytes(statement(month, partner)).decode("utf-8"))


@pytest.mark.parametrize("scope", [None, "alpha", "beta"])
def test_every_month_of_the_year_matches_the_independent_computation(world: World, scope):
    non_empty = 0
    for month in range(1, 13):
        header, rows = _csv(f"{YEAR}-{month:02d}", world.partners[scope] if scope else None)
        assert header == HEADER
        assert rows == expected_rows(YEAR, month, scope), f"{YEAR}-{month:02d} {scope or 'all partners'}"
        non_empty += bool(rows)
    assert non_empty >= 10


def test_the_year_covers_the_rules(world: World):
    """The synthetic year exercises what it claims to (guards the world against silent drift)."""
    jan = {(r[0], r[3]): r for r in expected_rows(YEAR, 1, None)}
    assert jan[("cu_anton", "backup")][7] == "0.00" and jan[("cu_anton", "backup")][8] == "12"  # trial only
    feb = {(r[0], r[3]): r for r in expected_rows(YEAR, 2, None)}
    assert feb[("cu_anton", "backup")][8] == "2" and feb[("cu_anton", "backup")][7] != "0.00"  # converted: billed
    assert ("cu_fritz", "backup") not in jan and ("cu_fritz", "backup") in feb  # midnight Berlin, not UTC
    apr = {(r[0], r[3]): r for r in expected_rows(YEAR, 4, None)}
    assert apr[("cu_berta", "archive")][7] == "0.00" and apr[("cu_berta", "archive")][10] == "2025-04-08"
    assert ("cu_berta", "archive") not in {(r[0], r[3]) for r in expected_rows(YEAR, 5, None)}
    sep = {(r[0], r[3]): r for r in expected_rows(YEAR, 9, None)}
    assert sep[("cu_caesar", "archive")][10] == "2025-09-12"  # deleted customer still billed in its month
    assert ("cu_caesar", "archive") not in {(r[0], r[3]) for r in expected_rows(YEAR, 10, None)}
    nov = {(r[0], r[3]) for r in expected_rows(YEAR, 11, None)}
    assert ("cu_emil", "archive") in nov and ("cu_fritz", "backup") not in nov
    assert apr[("cu_anton", "archive")][10] == "2025-04-10"  # switched off in April ...
    assert ("cu_anton", "archive") not in {(r[0], r[3]) for r in expected_rows(YEAR, 5, None)}
    jun = {(r[0], r[3]): r for r in expected_rows(YEAR, 6, None)}
    assert jun[("cu_anton", "archive")][9:] == ["2025-06-05", ""]  # ... and on again in June
    assert {r[6] for r in expected_rows(YEAR, 7, "alpha") if r[3] == "archive"} == {"0.10"}
    assert {r[6] for r in expected_rows(YEAR, 8, "alpha") if r[3] == "archive"} == {"0.12"}
    assert {r[6] for r in expected_rows(YEAR, 10, "alpha") if r[3] == "archive"} == {"0.0875"}


def test_the_csv_is_utf8_with_a_header_and_deterministic(world: World):
    first = statement_csv.to_bytes(statement(f"{YEAR}-09"))
    assert first == statement_csv.to_bytes(statement(f"{YEAR}-09"))
    assert first.startswith(b"customer_id,customer_name,legal_name,service,unit,quantity,unit_price,amount,"
                            b"trial_days,activated,ended\r\n")
    assert "Cäsar Kommanditgesellschaft, Köln".encode() in first


def test_a_billed_month_without_a_price_is_an_error_naming_service_and_unit(world: World):
    Price.objects.filter(service="backup").delete()
    with pytest.raises(MissingPrice, match="'backup'.*'account'.*2025-03-01"):
        statement(f"{YEAR}-03")
    # a month with only archive rows and trial-only backup rows still works
    assert statement(f"{YEAR}-01").rows


def test_a_malformed_month_is_refused():
    for bad in ("2025-13", "2025-1", "25-01", "2025/01", ""):
        with pytest.raises(ValidationError, match="YYYY-MM"):
            statement(bad)
