"""Each customer's record in its vault (``customers/<id>/meta``, sealed with its data key).

Written at creation and after every change of the customer or its partner, so that
``kustos vault recover`` can recreate partners and customers (same ids) in an empty database.
No secrets: id, names, partner, location, services, creation time.
"""

from __future__ import annotations

from typing import Any

from kustos.core import runtime
from kustos.tenants.models import Customer, Partner
from kustos.tenants.services import locations
from kustos.vault import customer_meta


def record_of(customer: Customer) -> dict[str, Any]:
    return {"id": customer.id, "name": customer.name, "legal_name": customer.legal_name,
            "customer_number": customer.customer_number, "partner_id": customer.partner_id,
            "partner_name": customer.partner.name, "location_id": customer.location_id,
            "location": {"name": customer.location.name, "country": customer.location.country,
                         "vault_url": locations.public_url(customer.location.vault_url),
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
