"""/api/v1 archive alerts of a customer: failing or silent sources, silent journaling addresses,
late ingest batches (the dashboard banner; `kustos alerts list`). Needs `source.view`."""

from __future__ import annotations

from ninja import Router

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.archive.services import alerts
from kustos.tenants.models import Customer

router = Router(tags=["imports"])


@router.get("/customers/{customer_id}/alerts", response=list[dict],
            summary="Open archive alerts: failing or silent sources, silent journaling addresses (working "
                    "days), late ingest batches")
def list_alerts(request, customer_id: str):
    customer = access.get_customer(request.auth, customer_id, Perm.SOURCE_VIEW)
    return alerts.rows(Customer.objects.filter(id=customer.id))
