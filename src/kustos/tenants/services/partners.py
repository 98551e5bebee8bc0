"""Partners (managed-service providers)."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from kustos.audit import services as audit
from kustos.core.lazy import Deferred
from kustos.tenants.models import Partner

# The customers' vault records are rewritten on a rename; the vault loads only then (`kustos
# partner list` and other light commands import this module).
_write_vault_records = Deferred("kustos.tenants.services.vault_record:write_partner")


def create(name: str, *, actor=None) -> Partner:
    name = name.strip()
    if not name:
        raise ValidationError("a partner needs a name")
    if Partner.objects.filter(name=name).exists():
        raise ValidationError(f"a partner named {name!r} exists already")
    partner = Partner.objects.create(name=name)
    audit.record("partner.create", actor=actor, partner=partner, target=partner.id)
    return partner


def rename(partner: Partner, name: str, *, actor=None) -> Partner:
    old = partner.name
    partner.name = name.strip()
    partner.full_clean()
    partner.save()
    _write_vault_records(partner)  # the customers' vault records name the partner
    audit.record("partner.update", actor=actor, partner=partner, target=partner.id,
                 detail={"old_name": old, "new_name": partner.name})
    return partner
