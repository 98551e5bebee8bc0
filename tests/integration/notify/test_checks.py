"""Events the notifications app raises itself: stored volume growth beyond the partner's threshold
(from the usage history), trials about to end, backup plans without success; each incident once, to
the partner's admins by default; thresholds per partner (CLI, API)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from kustos.archive.services import sources as source_service
from kustos.backup.models import BackupPlan
from kustos.billing.models import ServiceActivation, UsageSample
from kustos.cli import registry
from kustos.notify.services import checks, policy
from tests import factories
from tests.integration.web.session import sign_in

pytestmark = pytest.mark.django_db


def _usage(customer, day: date, stored: int) -> None:
    UsageSample.objects.create(partner=customer.partner, customer_id=customer.id, service="archive", day=day,
                               taken_at=timezone.now(), stored_bytes=stored)


def test_storage_growth_beyond_the_partner_threshold_is_mailed_once(notify_customer):
    other = factories.customer(notify_customer.partner, "Ruhig Kunde")
    today = date(2026, 3, 10)
    _usage(notify_customer, today - timedelta(days=1), 1_000_000)
    _usage(notify_customer, today, 1_600_000)  # +60 %
    _usage(other, today - timedelta(days=1), 1_000_000)
    _usage(other, today, 1_400_000)  # +40 %: below the default 50 %
    assert checks.storage_growth() == 1
    assert len(mail.outbox) == 1
    msg = mail.outbox[0]
    assert msg.to == ["admin@melde-partner.example"]
    assert "grew by 60.0 %" in msg.subject and "to_bytes: 1600000" in msg.body
    assert checks.storage_growth() == 0 and len(mail.outbox) == 1  # once per incident
    # a partner that sets 30 % within a day hears about the other customer too
    policy.update(notify_customer.partner, actor="test", growth_percent=30)
    assert checks.storage_growth() == 1 and other.id in mail.outbox[1].subject


def test_weekly_growth_window(notify_customer):
    policy.update(notify_customer.partner, actor="test", growth_percent=100, growth_days=7)
    today = date(2026, 3, 10)
    _usage(notify_customer, today - timedelta(days=7), 100)
    _usage(notify_customer, today - timedelta(days=1), 150)
    _usage(notify_customer, today, 201)  # +101 % within the week, +34 % within the day
    assert checks.storage_growth() == 1 and "grew by 101.0 %" in mail.outbox[0].subject


def test_trial_ending_within_notice_days_is_mailed_once(notify_customer):
    now = timezone.now()
    soon = ServiceActivation.objects.create(
        partner=notify_customer.partner, customer_id=notify_customer.id, customer_name=notify_customer.name,
        service="archive", trial_started_at=now - timedelta(days=12), trial_ends_at=now + timedelta(days=2),
        trial_then="paid")
    ServiceActivation.objects.create(
        partner=notify_customer.partner, customer_id=notify_customer.id, customer_name=notify_customer.name,
        service="backup", trial_started_at=now, trial_ends_at=now + timedelta(days=14), trial_then="end")
    assert checks.trials_ending(now) == 1
    assert len(mail.outbox) == 1 and "archive trial of Melde Kunde ends" in mail.outbox[0].subject
    assert f"trial_ends_at: {soon.trial_ends_at.isoformat()}" in mail.outbox[0].body
    assert checks.trials_ending(now) == 0


def test_backup_without_success_for_three_intervals_is_late_once(notify_customer):
    source = source_service.add(notify_customer, "imap", {"host": "127.0.0.1", "port": 9, "security": "none",
                                                          "username": "x"}, "pw")
    now = timezone.now()
    plan = BackupPlan.objects.create(customer=notify_customer, source=source, interval_minutes=60,
                                     activated_at=now - timedelta(hours=10), last_success_at=now - timedelta(hours=2))
    assert checks.backups_late(now) == 0
    BackupPlan.objects.filter(id=plan.id).update(last_success_at=now - timedelta(hours=4))
    assert checks.backups_late(now) == 1
    assert "has not succeeded since" in mail.outbox[0].subject
    assert checks.backups_late(now) == 0 and len(mail.outbox) == 1


def test_thresholds_by_cli_and_api(notify_customer, capsys):
    partner = notify_customer.partner
    assert registry.run(["notify", "settings", "--partner", partner.id, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["growth_percent"] == 50
    assert registry.run(["notify", "settings", "--partner", partner.id, "--growth-percent", "25",
                         "--growth-days", "7", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"partner": partner.id, "growth_percent": 25, "growth_days": 7,
                                                   "trial_notice_days": 3}
    assert registry.run(["notify", "settings", "--partner", partner.id, "--growth-days", "0"]) == 1
    assert capsys.readouterr().err == "kustos: error: growth_days must be between 1 and 31, not 0\n"
    client = sign_in(Client(), factories.user("api2@melde-partner.example", "partner_admin", partner=partner,
                                              totp=True))
    done = client.post(f"/api/v1/partners/{partner.id}/notify/settings", {"trial_notice_days": 5},
                       content_type="application/json")
    assert done.status_code == 200 and done.json()["trial_notice_days"] == 5 and done.json()["growth_days"] == 7
    bad = client.post(f"/api/v1/partners/{partner.id}/notify/settings", {"growth_percent": 0},
                      content_type="application/json")
    assert bad.status_code == 422
    page = client.post("/notifications/settings/", {"partner": partner.id, "growth_percent": "80",
                                                     "growth_days": "1", "trial_notice_days": "2"}, follow=True)
    assert page.status_code == 200 and b'value="80"' in page.content
    assert policy.public(policy.settings_for(partner.id))["trial_notice_days"] == 2
