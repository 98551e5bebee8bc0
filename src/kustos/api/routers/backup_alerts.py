"""/api/v1 backup anomaly alerts of a customer: list (``backup.view``) and acknowledge (``backup.manage``)."""

from __future__ import annotations

from ninja import Router, Schema

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.backup.services import alerts

router = Router(tags=["backup"])


class AlertAckIn(Schema):
    ids: list[str] = []


@router.get("/customers/{customer_id}/backup/alerts", response=list[dict],
            summary="Anomaly alerts of the customer's backups (mass deletion/modification, extension change, "
                    "encrypted content), newest first")
def list_alerts(request, customer_id: str, since: str | None = None, open: bool = False):
    customer = access.get_customer(request.auth, customer_id, Perm.BACKUP_VIEW)
    return [alerts.public(a) for a in alerts.for_customer(customer, alerts.parse_since(since), open)]


@router.post("/customers/{customer_id}/backup/alerts/acknowledge", response=list[dict],
             summary="Acknowledge backup alerts by id; returns them")
def acknowledge(request, customer_id: str, body: AlertAckIn):
    customer = access.get_customer(request.auth, customer_id, Perm.BACKUP_MANAGE)
    return alerts.acknowledge_ids(customer, body.ids, request.auth)
