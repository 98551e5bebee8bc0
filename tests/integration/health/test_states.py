"""Each customer's state per service: every colour with its reason in words, last success and next run."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import translation

from kustos.monitoring import health
from kustos.tenants.models import Customer
from tests import factories
from tests.integration.health.conftest import NOW, alert, journal, plan, source, trial

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner():
    return factories.partner("Health Partner")


def _customer(partner, name: str, *, archive: bool = True, backup: bool = False) -> Customer:
    c = factories.customer(partner, name)
    Customer.objects.filter(id=c.id).update(archiving_enabled=archive, backup_enabled=backup)
    c.refresh_from_db()
    return c


def _state(customer: Customer) -> health.CustomerHealth:
    (only,) = health.states(Customer.objects.filter(id=customer.id), now=NOW, silent_days=2)
    return only


def _reasons(s: health.ServiceHealth) -> list[str]:
    return [text for _, text in s.reasons]


def test_archive_green_names_last_success_and_next_run(partner):
    c = _customer(partner, "Green GmbH")
    source(c, last_success=NOW - timedelta(minutes=10), last_run=NOW - timedelta(minutes=10),
           last_item=NOW - timedelta(hours=1))
    h = _state(c)
    assert (h.archive.state, h.archive.reason_text) == ("green", "ok")
    assert h.archive.last_success == NOW - timedelta(minutes=10)
    assert h.archive.next_run == NOW + timedelta(minutes=5)
    assert h.backup.state == "off" and h.state == "green"
    assert h.as_dict()["services"]["archive"]["reasons"] == [{"code": "ok", "text": "ok"}]


def test_archive_red_when_sources_fail_three_times(partner):
    c = _customer(partner, "Red GmbH")
    source(c, "a", failures=3, last_success=NOW - timedelta(days=1), last_run=NOW - timedelta(minutes=2))
    source(c, "b", failures=5, last_run=NOW - timedelta(minutes=2))
    source(c, "c", failures=9, paused=True)  # paused: not counted
    h = _state(c)
    assert h.archive.state == "red" and _reasons(h.archive) == ["2 sources failing"]
    assert h.state == "red"


def test_archive_yellow_after_one_failed_run(partner):
    c = _customer(partner, "Wobbly GmbH")
    source(c, failures=1, last_success=NOW - timedelta(hours=1), last_run=NOW - timedelta(minutes=1),
           last_item=NOW - timedelta(hours=1))
    h = _state(c)
    assert h.archive.state == "yellow" and _reasons(h.archive) == ["last run of 1 source failed"]


def test_archive_yellow_when_a_source_is_silent_for_two_working_days(partner):
    c = _customer(partner, "Quiet GmbH")
    monday = NOW - timedelta(days=3)
    source(c, last_success=NOW - timedelta(minutes=5), last_run=NOW - timedelta(minutes=5), last_item=monday)
    h = _state(c)
    assert h.archive.state == "yellow" and _reasons(h.archive) == ["1 source silent since Mon"]


def test_journaling_silent_since_the_last_delivery(partner):
    c = _customer(partner, "Journal GmbH")
    journal(c, last_delivery=NOW - timedelta(days=3))
    h = _state(c)
    assert h.archive.state == "yellow" and _reasons(h.archive) == ["journaling silent since Mon"]
    assert h.archive.last_success == NOW - timedelta(days=3)


def test_journaling_that_delivered_today_is_green(partner):
    c = _customer(partner, "Journal Ok GmbH")
    journal(c, last_delivery=NOW - timedelta(hours=1))
    h = _state(c)
    assert (h.archive.state, h.archive.reason_text) == ("green", "ok")
    assert h.archive.last_success == NOW - timedelta(hours=1) and h.archive.next_run is None


def test_archive_without_any_source_is_yellow(partner):
    h = _state(_customer(partner, "Empty GmbH"))
    assert h.archive.state == "yellow" and _reasons(h.archive) == ["no source connected"]
    assert h.archive.last_success is None


def test_trial_ending_within_three_days_is_yellow(partner):
    c = _customer(partner, "Trial GmbH")
    source(c, last_success=NOW - timedelta(minutes=10), last_run=NOW - timedelta(minutes=10),
           last_item=NOW - timedelta(hours=1))
    trial(c, "archive", NOW + timedelta(days=2, hours=1))
    h = _state(c)
    assert h.archive.state == "yellow" and _reasons(h.archive) == ["trial ends in 2 days"]
    other = _customer(partner, "Long Trial GmbH")
    journal(other, last_delivery=NOW - timedelta(hours=1))
    trial(other, "archive", NOW + timedelta(days=10))
    assert _state(other).archive.reason_text == "ok"


def test_backup_green_next_run_after_the_interval(partner):
    c = _customer(partner, "Backup Ok GmbH", archive=False, backup=True)
    plan(c, last_success=NOW - timedelta(hours=2))
    h = _state(c)
    assert (h.backup.state, h.backup.reason_text) == ("green", "ok")
    assert h.backup.last_success == NOW - timedelta(hours=2) and h.backup.next_run == NOW + timedelta(hours=6)
    assert h.archive.state == "off" and h.state == "green"


@pytest.mark.parametrize(("age", "state", "reason"), [
    (timedelta(days=2), "yellow", "last backup 2 days ago"),
    (timedelta(days=4), "red", "last backup 4 days ago"),
])
def test_backup_late(partner, age, state, reason):
    c = _customer(partner, "Late GmbH", archive=False, backup=True)
    plan(c, last_success=NOW - age)
    h = _state(c)
    assert h.backup.state == state and _reasons(h.backup) == [reason]


def test_backup_failing_plan_and_open_alerts(partner):
    c = _customer(partner, "Broken GmbH", archive=False, backup=True)
    p = plan(c, last_success=NOW - timedelta(hours=10), last_run=NOW - timedelta(hours=1), error="HTTP 503")
    alert(p, "critical")
    alert(p, "warning")
    alert(p, "high", acknowledged=True)  # acknowledged: no longer open
    h = _state(c)
    assert h.backup.state == "red"
    assert _reasons(h.backup) == ["1 backup plan failing", "1 open alert", "1 open warning"]


def test_backup_warning_alone_is_yellow_and_no_plan_is_yellow(partner):
    c = _customer(partner, "Warned GmbH", archive=False, backup=True)
    alert(plan(c, last_success=NOW - timedelta(hours=1)), "warning")
    assert _state(c).backup.state == "yellow"
    none = _customer(partner, "No Plan GmbH", archive=False, backup=True)
    assert _reasons(_state(none).backup) == ["no backup plan"]


def test_worst_customers_first(partner):
    ok = _customer(partner, "A ok")
    journal(ok, last_delivery=NOW - timedelta(hours=1))
    bad = _customer(partner, "B bad")
    source(bad, failures=4)
    meh = _customer(partner, "C meh")
    states = health.states(Customer.objects.filter(partner=partner), now=NOW, silent_days=2)
    assert [(h.name, h.state) for h in states] == [("B bad", "red"), ("C meh", "yellow"), ("A ok", "green")]
    assert health.summary(states) == {"green": 1, "yellow": 1, "red": 1, "off": 0}
    assert meh.id in {h.id for h in states}


def test_reasons_in_german(partner):
    c = _customer(partner, "Deutsch GmbH", backup=True)
    source(c, "a", failures=3)
    source(c, "b", failures=3)
    journal(c, last_delivery=NOW - timedelta(days=3))
    plan(c, last_success=NOW - timedelta(days=2))
    with translation.override("de"):
        h = _state(c)
    assert _reasons(h.archive) == ["2 Quellen fehlerhaft", "Journaling still seit Mo"]
    assert _reasons(h.backup) == ["letztes Backup vor 2 Tagen"]
