"""Usage history: per customer, service and Berlin day, what is billed. Archive: the customer's
stored archive bytes in its vault (compressed, deduplicated; the backup pool not counted). Backup:
the protected accounts of the customer's active (not paused) backup plans, not departed, by kind.
A day keeps its maximum. Every sample also brings the activations up to date."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from kustos.backup.models import BackupAccount
from kustos.billing.models import UsageSample
from kustos.billing.services import activations
from kustos.billing.services.activations import BERLIN
from kustos.core import runtime
from kustos.tenants.models import Customer

log = logging.getLogger(__name__)


def parse_as_of(value: str | None) -> datetime | None:
    """An ISO date (00:00 Berlin that day) or date/time (Berlin time unless it names its offset)."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"time {value!r} is not an ISO date or date/time (e.g. 2026-03-31T23:00)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=BERLIN)


def parse_month(value: str | None) -> tuple[date, date] | None:
    if value in (None, ""):
        return None
    try:
        year, month = (int(p) for p in str(value).strip().split("-"))
        first = date(year, month, 1)
    except ValueError:
        raise ValidationError(f"month {value!r} is not a month (YYYY-MM)") from None
    after = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return first, after


def archive_bytes(customer_id: str) -> int:
    return int(runtime.store_for(customer_id).usage()["archive_stored_bytes"])


def backup_accounts(customer: Customer, as_of: datetime) -> Counter:
    accounts = BackupAccount.objects.filter(
        plan__customer=customer, plan__paused=False, plan__activated_at__lte=as_of,
        departed_at__isnull=True, first_seen_at__lte=as_of)
    return Counter((kind or "other") for kind in accounts.values_list("kind", flat=True))


def record(customer: Customer, service: str, as_of: datetime, *, stored_bytes: int = 0, accounts: int = 0,
           detail: dict | None = None) -> UsageSample:
    """Keep the day's maximum: a smaller sample later that day only moves ``taken_at``."""
    day = as_of.astimezone(BERLIN).date()
    with transaction.atomic():
        row, created = UsageSample.objects.select_for_update().get_or_create(
            customer_id=customer.id, service=service, day=day,
            defaults={"partner_id": customer.partner_id, "taken_at": as_of, "stored_bytes": stored_bytes,
                      "accounts": accounts, "detail": detail or {}})
        if not created:
            if (stored_bytes, accounts) > (row.stored_bytes, row.accounts):
                row.stored_bytes, row.accounts, row.detail = stored_bytes, accounts, detail or {}
            row.taken_at = max(row.taken_at, as_of)
            row.save(update_fields=["stored_bytes", "accounts", "detail", "taken_at"])
    return row


def sample(as_of: datetime | None = None) -> dict[str, Any]:
    """Sample every customer of every partner for the Berlin day of ``as_of`` (default now)."""
    as_of = as_of or timezone.now()
    activations.sync_activations(as_of)
    customers = list(Customer.objects.filter(status=Customer.Status.ACTIVE).order_by("id"))
    samples, failed = 0, []
    for customer in customers:
        kinds = backup_accounts(customer, as_of)
        record(customer, "backup", as_of, accounts=sum(kinds.values()), detail=dict(sorted(kinds.items())))
        samples += 1
        try:
            stored = archive_bytes(customer.id)
        except Exception as exc:  # one unreachable storage location must not stop the others' samples
            log.warning("usage sample: vault of customer %s not readable: %s", customer.id, type(exc).__name__)
            failed.append(customer.id)
            continue
        record(customer, "archive", as_of, stored_bytes=stored)
        samples += 1
    out: dict[str, Any] = {"customers": len(customers), "samples": samples, "as_of": as_of.isoformat()}
    if failed:
        out["failed"] = failed  # customers whose archive volume could not be read (tried again next run)
    return out


def as_dict(row: UsageSample) -> dict[str, Any]:
    return {"customer": row.customer_id, "service": row.service, "day": row.day.isoformat(),
            "taken_at": row.taken_at.isoformat(), "stored_bytes": row.stored_bytes, "accounts": row.accounts,
            "detail": row.detail}


def show(customer_id: str, service: str | None = None, month: str | None = None) -> list[dict[str, Any]]:
    """The customer's samples (kept after the customer is deleted), oldest first."""
    if service not in (None, "") and service not in activations.SERVICES:
        raise ValidationError(f"unknown service {service!r}: use archive or backup")
    rows = UsageSample.objects.filter(customer_id=customer_id)
    if service:
        rows = rows.filter(service=service)
    span = parse_month(month)
    if span:
        rows = rows.filter(day__gte=span[0], day__lt=span[1])
    return [as_dict(r) for r in rows.order_by("service", "day")]


def last(customer_id: str, service: str) -> UsageSample | None:
    return UsageSample.objects.filter(customer_id=customer_id, service=service).order_by("-day").first()
