"""Storage locations (operator-defined). Outside the EU only with an explicit override.

A location's ``vault_url`` decides where its customers' data is written (requirement 26;
``runtime.vault_for``); empty = the installation's vault. A customer's location is fixed
once it has data: there is no silent move."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

from kustos.archive.models import Message
from kustos.audit import services as audit
from kustos.backup.models import BackupSnapshot
from kustos.core import runtime
from kustos.tenants.models import Customer, StorageLocation
from kustos.tenants.services import vault_record
from kustos.vault import customer_meta

DEFAULT_LOCATION = ("de-local-1", "Local storage (Germany)", "DE")


def create(location_id: str, name: str, country: str, *, vault_url: str = "", outside_eu_override: bool = False,
           actor=None) -> StorageLocation:
    loc = StorageLocation(id=location_id, name=name, country=country.upper(), vault_url=vault_url,
                          outside_eu_override=outside_eu_override)
    if not loc.in_eu and not outside_eu_override:
        raise ValidationError(f"storage location country {loc.country} is outside the EU; "
                              "set the explicit outside-EU override to allow it (§ 146(2) AO)")
    scheme = urlsplit(loc.vault_url.strip()).scheme
    if scheme not in ("", "file", "s3", "memory"):
        raise ValidationError(f"unsupported vault URL scheme {scheme!r} (use s3://bucket/prefix, a directory "
                              "path or leave it empty for the installation's vault)")
    if scheme == "s3" and not urlsplit(loc.vault_url.strip()).hostname:
        raise ValidationError("the vault URL names no bucket (s3://bucket/prefix)")
    loc.full_clean()
    loc.save()
    vault_record.write_locations()  # `vault recover` finds the location's vault from an empty database
    audit.record("location.create", actor=actor, target=loc.id,
                 detail={"country": loc.country, "in_eu": loc.in_eu, "outside_eu_override": loc.outside_eu_override,
                         "vault_url": vault_record.public_url(loc.vault_url)})
    return loc


def has_data(customer: Customer) -> bool:
    """Archived messages, backup snapshots or any vault object of the customer."""
    if Message.objects.filter(customer=customer).exists() or BackupSnapshot.objects.filter(
            plan__customer=customer).exists():
        return True
    vault = runtime.vault_for(customer.id)
    return vault.has_key(customer.id) and int(vault.stats(customer.id).get("objects", 0) or 0) > 0


def assign(customer: Customer, location: StorageLocation, *, actor=None) -> Customer:
    """Put a customer without data into another location; refused once data exists."""
    if customer.location_id == location.id:
        return customer
    if not location.in_eu and not location.outside_eu_override:
        raise ValidationError(f"storage location {location.id} is outside the EU and not approved")
    if has_data(customer):
        raise ValidationError(f"customer {customer.id} already has data in location {customer.location_id}; "
                              "its storage location cannot be changed (data is never moved silently)")
    before = customer.location_id
    old_vault = runtime.vault_for(customer.id)
    customer.location = location
    customer.save(update_fields=["location"])
    runtime.forget_location(customer.id)
    if runtime.vault_for(customer.id) is not old_vault:
        customer_meta.remove_unused(old_vault, customer.id)  # its key and record, no data
    vault_record.write(customer)
    audit.record("customer.location", actor=actor, customer=customer, target=customer.id,
                 detail={"from": before, "to": location.id})
    return customer


def default() -> StorageLocation:
    """The installation's default location, created on first use."""
    loc = StorageLocation.objects.order_by("created_at").first()
    if loc is None:
        loc_id, name, country = DEFAULT_LOCATION
        loc = StorageLocation.objects.create(id=loc_id, name=name, country=country)
    return loc
