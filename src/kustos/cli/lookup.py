"""Resolving ids given on the command line (clear one-line errors)."""

from __future__ import annotations

from kustos.cli.base import CLIError
from kustos.tenants.models import Customer, Partner


def partner(ref: str) -> Partner:
    found = Partner.objects.filter(id=ref).first() or Partner.objects.filter(name=ref).first()
    if found is None:
        raise CLIError(f"no partner with id or name {ref!r}")
    return found


def customer(ref: str) -> Customer:
    found = Customer.objects.select_related("location", "partner").filter(id=ref).first()
    if found is None:
        raise CLIError(f"no customer with id {ref!r}")
    return found
