"""Customer lifecycle: create, edit, request deletion (a job) and the irreversible wipe.

Only a display name is required; it may be a pseudonym. Deletion is the only way to
cancel, is never started by the platform itself, and crypto-shreds the customer's
vault data before removing the database rows, leaving a DeletionRecord.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from kustos.archive import index_admin
from kustos.audit import services as audit
from kustos.backup.searchkey import partition as backup_partition
from kustos.core import runtime
from kustos.jobs import services as jobs
from kustos.jobs.models import Job
from kustos.tenants.models import Customer, DeletionRecord, Partner, StorageLocation
from kustos.tenants.services import locations, purge, vault_record

EDITABLE = ("name", "legal_name", "customer_number", "notes", "archiving_enabled", "backup_enabled")


def create(partner: Partner, name: str, *, legal_name: str = "", customer_number: str = "", notes: str = "",
           location: StorageLocation | None = None, archiving_enabled: bool = True,
           backup_enabled: bool = False, actor: Any = None) -> Customer:
    name = (name or "").strip()
    if not name:
        raise ValidationError("a customer needs a display name (a pseudonym is fine)")
    if Customer.objects.filter(partner=partner, name=name).exists():
        raise ValidationError(f"this partner already has a customer named {name!r}")
    location = location or locations.default()
    if not location.in_eu and not location.outside_eu_override:
        raise ValidationError(f"storage location {location.id} is outside the EU and not approved")
    customer = Customer.objects.create(
        partner=partner, name=name, legal_name=legal_name.strip(), customer_number=customer_number.strip(),
        notes=notes, location=location, archiving_enabled=archiving_enabled, backup_enabled=backup_enabled,
    )
    vault_record.write(customer)  # `vault recover` recreates the customer from it
    audit.record("customer.create", actor=actor, customer=customer, target=customer.id,
                 detail={"location": location.id})
    return customer


def update(customer: Customer, changes: dict[str, Any], *, actor: Any = None) -> Customer:
    """Apply the editable fields in ``changes``; unknown keys are refused."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError(f"these fields cannot be changed: {', '.join(sorted(unknown))}")
    before = {k: getattr(customer, k) for k in changes}
    for key, value in changes.items():
        setattr(customer, key, value.strip() if isinstance(value, str) else value)
    if not customer.name:
        raise ValidationError("a customer needs a display name (a pseudonym is fine)")
    if Customer.objects.filter(partner=customer.partner, name=customer.name).exclude(id=customer.id).exists():
        raise ValidationError(f"this partner already has a customer named {customer.name!r}")
    customer.save()
    vault_record.write(customer)
    changed = sorted(k for k in changes if before[k] != getattr(customer, k))
    audit.record("customer.update", actor=actor, customer=customer, target=customer.id, detail={"fields": changed})
    return customer


def request_deletion(customer: Customer, *, confirmation: str, actor: Any = None) -> Job:
    """Start the irreversible wipe as a job. ``confirmation`` must equal the customer's name."""
    if confirmation.strip() != customer.name:
        raise ValidationError("type the customer's exact name to confirm the deletion")
    with transaction.atomic():
        customer.status = Customer.Status.DELETING
        customer.save(update_fields=["status"])
        job = jobs.create("customer.delete", customer=customer, created_by=getattr(actor, "email", actor) or "system",
                          max_attempts=5)
        audit.record("customer.delete_requested", actor=actor, customer=customer, target=customer.id,
                     detail={"job": job.id})
    return job


def wipe(customer_id: str, *, requested_by: str, progress: Callable[..., None] | None = None) -> DeletionRecord:
    """Crypto-shred the customer's vault data, then remove every other trace: search index,
    spool items, uploads, exports, jobs and database rows. Idempotent per customer; what
    remains is the DeletionRecord, the deletion job and the audit trail."""
    done = DeletionRecord.objects.filter(customer_id=customer_id).first()
    if done is not None:
        return done
    customer = Customer.objects.select_related("partner").get(id=customer_id)
    requested_at = timezone.now()
    if progress:
        progress(0, 3, "destroying keys and data")
    vault_record = runtime.vault_for(customer.id).destroy_customer(customer.id)
    # The index holds message text in plaintext: it goes with the key.
    index_admin.drop(runtime.search_index(), customer.id)
    index_admin.drop(runtime.search_index(), backup_partition(customer.id))  # backed-up items' text
    if progress:
        progress(1, 3, "removing files")
    removed = purge.files(customer, runtime.settings().spool_path)
    if progress:
        progress(2, 3, "removing records")
    purge.secure_delete_on()
    with transaction.atomic():
        record = DeletionRecord.objects.create(
            customer_id=customer.id, customer_name=customer.name, partner=customer.partner,
            location_id=customer.location_id, requested_by=requested_by, requested_at=requested_at,
            deleted_at=timezone.now(), vault_record=_jsonable({**vault_record, "files_outside_vault": removed}),
        )
        purge.jobs(customer.id)
        purge.sign_ins(customer)
        customer.delete()
        audit.record("customer.deleted", actor=requested_by, partner=record.partner, target=customer_id,
                     detail={"deletion_record": record.id})
    # An item a running drain claimed before the purge is parked as failed once the rows are gone.
    purge.spool_items(runtime.settings().spool_path, customer_id)
    purge.empty_write_ahead_log()
    return record


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
