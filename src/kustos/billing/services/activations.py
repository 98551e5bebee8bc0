"""When a customer's services are billed: activations derived from what the customer uses.

Archive: "usage begins with the first user or the first archive" — activated at the earliest of
the customer's first archived message, first archive source and first end user. Backup: the first
activated backup plan. A paid activation is never created while a trial of the same customer and
service has not ended. Cancelling is deleting the customer (a ``tenants.DeletionRecord`` stays):
its activations end at the deletion time. Switching a service off on the customer ends its billing
only when the service holds no data of the customer any more (no archived message, no backup
snapshot): stored data is billed until the customer is deleted (service descriptions, "Kündigung").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Min, Q
from django.utils import timezone

from kustos.accounts.models import Role, User
from kustos.archive.models import Message, Source
from kustos.backup.models import BackupPlan, BackupSnapshot
from kustos.billing.models import ServiceActivation
from kustos.tenants.models import Customer, DeletionRecord

BERLIN = ZoneInfo("Europe/Berlin")
SERVICES = ("archive", "backup")
FLAGS = {"archive": "archiving_enabled", "backup": "backup_enabled"}
END_DELETED = "customer deleted"
END_SWITCHED_OFF = "service switched off"


def enabled(customer: Customer, service: str) -> bool:
    return bool(getattr(customer, FLAGS[service]))


def archive_start(customer: Customer) -> datetime | None:
    """The earliest of the first archived message, the first archive source, the first end user."""
    candidates = [
        Message.objects.filter(customer=customer).aggregate(t=Min("archived_at"))["t"],
        User.objects.filter(customer=customer, role=Role.END_USER).aggregate(t=Min("created_at"))["t"],
    ]
    candidates += [s.created_at for s in Source.objects.filter(customer=customer).only("created_at", "services")
                   if "archive" in (s.services or [])]
    found = [c for c in candidates if c is not None]
    return min(found) if found else None


def backup_start(customer: Customer) -> datetime | None:
    """When the customer's first backup plan was activated."""
    return BackupPlan.objects.filter(customer=customer).aggregate(t=Min("activated_at"))["t"]


STARTS = {"archive": archive_start, "backup": backup_start}


def current(customer_id: str, service: str) -> ServiceActivation | None:
    """The open (not ended) row of a customer's service: a running trial or a paid activation."""
    return (ServiceActivation.objects.filter(customer_id=customer_id, service=service, ended_at__isnull=True)
            .order_by("-created_at").first())


def trial_running(row: ServiceActivation | None, as_of: datetime) -> bool:
    return bool(row and row.trial_started_at and row.activated_at is None and row.ended_at is None
                and row.trial_ends_at and row.trial_ends_at > as_of)


def _end(row: ServiceActivation, at: datetime, reason: str) -> None:
    row.ended_at = at
    row.end_reason = reason
    row.save(update_fields=["ended_at", "end_reason"])


def holds_data(customer: Customer, service: str) -> bool:
    """Whether the service still stores data of the customer (then switching it off ends nothing)."""
    if service == "archive":
        return Message.objects.filter(customer=customer).exists()
    return BackupSnapshot.objects.filter(plan__source__customer=customer).exists()


def _sync_customer(customer: Customer, service: str, as_of: datetime) -> str:
    row = current(customer.id, service)
    if not enabled(customer, service):
        if row is not None and row.activated_at is not None and holds_data(customer, service):
            return ""  # stored data is billed until the customer is deleted
        if row is not None and (row.activated_at is None or row.activated_at <= as_of):
            _end(row, as_of, END_SWITCHED_OFF)
            return "ended"
        return ""
    if row is not None:
        return ""  # a running trial, a trial waiting for expire(), or a paid activation
    start = STARTS[service](customer)
    if start is None or start > as_of:
        return ""
    previous = ServiceActivation.objects.filter(customer_id=customer.id, service=service).exists()
    ServiceActivation.objects.create(
        partner_id=customer.partner_id, customer_id=customer.id, customer_name=customer.name,
        legal_name=customer.legal_name, service=service,
        # switched on again after an end: billed from now on, not from the first use long ago
        activated_at=as_of if previous else start, created_by="system")
    return "created"


def end_deleted() -> int:
    """End the open activations (and trials) of deleted customers at their deletion time."""
    ended = 0
    deleted = {r.customer_id: r.deleted_at for r in DeletionRecord.objects.all().only("customer_id", "deleted_at")}
    open_rows = ServiceActivation.objects.filter(ended_at__isnull=True, customer_id__in=list(deleted))
    for row in open_rows:
        _end(row, deleted[row.customer_id], END_DELETED)
        ended += 1
    return ended


def sync_activations(as_of: datetime | None = None) -> dict[str, int]:
    """Create and end activation rows as the customers' use says (idempotent)."""
    as_of = as_of or timezone.now()
    counts = {"created": 0, "ended": 0}
    for customer in Customer.objects.filter(status=Customer.Status.ACTIVE):
        for service in SERVICES:
            outcome = _sync_customer(customer, service, as_of)
            if outcome:
                counts[outcome] += 1
    counts["ended"] += end_deleted()
    return counts


def state(row: ServiceActivation | None, as_of: datetime | None = None) -> str:
    """trial | active | ended | none (what the customer's service is at ``as_of``)."""
    as_of = as_of or timezone.now()
    if row is None:
        return "none"
    if row.ended_at is not None and row.ended_at <= as_of:
        return "ended"
    if row.activated_at is not None and row.activated_at <= as_of:
        return "active"
    if row.trial_started_at is not None:
        return "trial"
    return "none"


def as_dict(row: ServiceActivation) -> dict[str, Any]:
    def iso(v: datetime | None) -> str | None:
        return v.isoformat() if v else None
    return {"id": row.id, "partner": row.partner_id, "customer": row.customer_id, "customer_name": row.customer_name,
            "service": row.service, "state": state(row), "activated_at": iso(row.activated_at),
            "trial_started_at": iso(row.trial_started_at), "trial_ends_at": iso(row.trial_ends_at),
            "trial_then": row.trial_then, "ended_at": iso(row.ended_at), "end_reason": row.end_reason}


def for_customer(customer_id: str) -> list[dict[str, Any]]:
    rows = ServiceActivation.objects.filter(customer_id=customer_id).order_by("service", "created_at")
    return [as_dict(r) for r in rows]


def latest(customer_id: str, service: str) -> ServiceActivation | None:
    """The row that describes the service now: the open one, else the last one."""
    return current(customer_id, service) or (
        ServiceActivation.objects.filter(customer_id=customer_id, service=service)
        .filter(Q(ended_at__isnull=False)).order_by("-ended_at").first())
