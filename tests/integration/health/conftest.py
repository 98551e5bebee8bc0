"""Builders for the health tests: customers in each state, written through the models the services
keep (sources, journaling deliveries, backup plans and alerts, trials, usage samples)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from kustos.archive.models import JournalEndpoint, Source
from kustos.audit import services as audit
from kustos.backup.models import BackupAccount, BackupAlert, BackupPlan
from kustos.billing.models import ServiceActivation
from kustos.tenants.models import Customer

# A Thursday noon (Europe/Berlin): two working days back is Tuesday.
NOW = datetime(2026, 12, 3, 11, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _no_forced_2fa(settings):
    settings.KUSTOS = dataclasses.replace(settings.KUSTOS, require_2fa_for_admins=False)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def source(customer: Customer, name: str = "imap", *, failures: int = 0, last_success: datetime | None = None,
           last_item: datetime | None = None, last_run: datetime | None = None, paused: bool = False,
           interval: int = 15, created: datetime | None = None) -> Source:
    s = Source.objects.create(customer=customer, kind="imap", name=name, paused=paused, interval_minutes=interval,
                              consecutive_failures=failures, last_success_at=last_success, last_item_at=last_item,
                              last_run_at=last_run, last_error="refused" if failures else "")
    Source.objects.filter(id=s.id).update(created_at=created or NOW - timedelta(days=30))
    s.refresh_from_db()
    return s


def journal(customer: Customer, last_delivery: datetime | None, created: datetime | None = None) -> JournalEndpoint:
    e = JournalEndpoint.objects.create(customer=customer, local_part=f"j-{customer.id}")
    JournalEndpoint.objects.filter(pk=e.pk).update(created_at=created or NOW - timedelta(days=30))
    if last_delivery is not None:
        event = audit.record("ingest.batch", actor="system", customer=customer, target=e.local_part,
                             detail={"archived": 1})
        type(event).objects.filter(pk=event.pk).update(at=last_delivery)
    return e


def plan(customer: Customer, *, last_success: datetime | None, last_run: datetime | None = None,
         error: str = "", interval: int = 8 * 60, paused: bool = False) -> BackupPlan:
    src = Source.objects.create(customer=customer, kind="imap", name=f"m365-{customer.id}", services=["backup"])
    return BackupPlan.objects.create(customer=customer, source=src, last_success_at=last_success,
                                     last_run_at=last_run or last_success, last_error=error, interval_minutes=interval,
                                     paused=paused, activated_at=NOW - timedelta(days=30))


def alert(p: BackupPlan, severity: str, acknowledged: bool = False) -> BackupAlert:
    account = BackupAccount.objects.create(plan=p, scope_id=f"u-{severity}", name="anna")
    return BackupAlert.objects.create(customer=p.customer, plan=p, account=account, kind="mass_deletion",
                                      severity=severity, detail="120 items deleted", snapshot="s1",
                                      acknowledged_at=NOW if acknowledged else None)


def trial(customer: Customer, service: str, ends: datetime) -> ServiceActivation:
    return ServiceActivation.objects.create(partner=customer.partner, customer_id=customer.id,
                                            customer_name=customer.name, service=service,
                                            trial_started_at=ends - timedelta(days=14), trial_ends_at=ends,
                                            trial_then="end")
