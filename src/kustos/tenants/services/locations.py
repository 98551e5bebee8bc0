"""Storage locations (operator-defined). Outside the EU only with an explicit override."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from kustos.audit import services as audit
from kustos.tenants.models import StorageLocation

DEFAULT_LOCATION = ("de-local-1", "Local storage (Germany)", "DE")


def create(location_id: str, name: str, country: str, *, vault_url: str = "", outside_eu_override: bool = False,
           actor=None) -> StorageLocation:
    loc = StorageLocation(id=location_id, name=name, country=country.upper(), vault_url=vault_url,
                          outside_eu_override=outside_eu_override)
    if not loc.in_eu and not outside_eu_override:
        raise ValidationError(f"storage location country {loc.country} is outside the EU; "
                              "set the explicit outside-EU override to allow it (§ 146(2) AO)")
    loc.full_clean()
    loc.save()
    audit.record("location.create", actor=actor, target=loc.id, detail={"country": loc.country})
    return loc


def default() -> StorageLocation:
    """The installation's default location, created on first use."""
    loc = StorageLocation.objects.order_by("created_at").first()
    if loc is None:
        loc_id, name, country = DEFAULT_LOCATION
        loc = StorageLocation.objects.create(id=loc_id, name=name, country=country)
    return loc
