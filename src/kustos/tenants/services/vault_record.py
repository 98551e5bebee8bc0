"""Each customer's record in its vault (``customers/<id>/meta``, sealed with its data key).

Written at creation and after every change of the customer or its partner, so that
``kustos vault recover`` can recreate partners and customers (same ids) in an empty database.
No secrets: id, names, partner, location, services, creation time.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from kustos.core import runtime
from kustos.tenants.models import Customer, Partner, StorageLocation
from kustos.vault import customer_meta


def public_url(url: str) -> str:
    """A vault URL without user name and password (for audit events and vault records)."""
    parts = urlsplit(url)
    if parts.username or parts.password:
        return urlunsplit((parts.scheme, parts.hostname or "", parts.path, "", ""))
    return url


def write_locations() -> None:
    """Record every storage location in the installation's vault (sealed with the master key)."""
    rows = [{"id": loc.id, "name": loc.name, "country": loc.country, "vault_url": public_url(loc.vault_url),
             "outside_eu_override": loc.outside_eu_override} for loc in StorageLocation.objects.order_by("id")]
    customer_meta.write_locations(runtime.vault(), rows)


def record_of(customer: Customer) -> dict[str, Any]:
    return {"id": customer.id, "name": customer.name, "legal_name": customer.legal_name,
            "customer_number": customer.customer_number, "partner_id": customer.partner_id,
            "partner_name": customer.partner.name, "location_id": customer.location_id,
            "location": {"name": customer.location.name, "country": customer.location.country,
                         "vault_url": public_url(customer.location.vault_url),
                         "outside_eu_override": customer.location.outside_eu_override},
            "services": list(customer.services),
            "created": customer.created_at.isoformat() if customer.created_at else None}


def write(customer: Customer) -> None:
    customer_meta.write(runtime.vault_for(customer.id), customer.id, record_of(customer))


def write_partner(partner: Partner) -> int:
    """Rewrite the records of every customer of ``partner`` (after a rename)."""
    count = 0
    for customer in Customer.objects.filter(partner=partner, status=Customer.Status.ACTIVE).select_related("partner"):
        write(customer)
        count += 1
    return count
