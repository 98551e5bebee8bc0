"""`kustos customer create|delete`: these open the customer's vault and search index."""

from __future__ import annotations

import argparse

from kustos.cli import lookup
from kustos.cli.base import CLIError, Context
from kustos.jobs import tasks
from kustos.tenants.models import DeletionRecord, StorageLocation
from kustos.tenants.services import customers


def cmd_customer_create(ctx: Context, args: argparse.Namespace) -> dict:
    location = None
    if args.location:
        location = StorageLocation.objects.filter(id=args.location).first()
        if location is None:
            raise CLIError(f"unknown storage location {args.location!r}")
    customer = customers.create(lookup.partner(args.partner), args.name, legal_name=args.legal_name,
                                location=location, actor="cli")
    return {"id": customer.id, "name": customer.name, "partner": customer.partner_id,
            "location": customer.location_id}


def cmd_customer_delete(ctx: Context, args: argparse.Namespace) -> dict:
    if not args.yes:
        raise CLIError("deletion is irreversible: add --yes to confirm")
    customer = lookup.customer(args.id)
    customer_id = customer.id
    job = customers.request_deletion(customer, confirmation=customer.name, actor="cli")
    tasks.execute(job.id)
    record = DeletionRecord.objects.filter(customer_id=customer_id).first()
    if record is None:
        job.refresh_from_db()
        raise CLIError(f"deletion failed: {job.error or job.state}")
    return {"id": customer_id, "deleted_at": record.deleted_at.isoformat(), "record": record.id}
