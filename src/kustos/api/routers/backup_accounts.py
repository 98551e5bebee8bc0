"""/api/v1 backup accounts of a source's plan, each account's snapshot timeline, bulk activation from
CSV, and the customer's protected data over time. Thin over ``kustos.backup.services``."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import Router, Status

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.api.routers.backup import _source
from kustos.backup.services import activation, history, plans, timeline

router = Router(tags=["backup"])

CSV_BODY = {"requestBody": {"content": {
    "text/csv": {"schema": {"type": "string"}},
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"],
                                       "properties": {"file": {"type": "string", "format": "binary"}}}}}}}


@router.get("/sources/{source_id}/backup/accounts", response=list[dict],
            summary="The accounts of the source's backup plan: status, activation date, last snapshot, size")
def accounts(request, source_id: str):
    return timeline.accounts(plans.for_source(_source(request.auth, source_id, Perm.BACKUP_VIEW)))


@router.get("/sources/{source_id}/backup/accounts/{account}/snapshots", response=list[dict],
            summary="One account's snapshot timeline, newest first: status, items, bytes, added/changed/removed, "
                    "failed items")
def account_snapshots(request, source_id: str, account: str):
    plan = plans.for_source(_source(request.auth, source_id, Perm.BACKUP_VIEW))
    return timeline.snapshots(timeline.account(plan, account))


@router.post("/sources/{source_id}/backup/activate-csv", response={200: dict, 422: dict}, openapi_extra=CSV_BODY,
             summary="Bulk activation from CSV (header row; columns account and optional services separated by ';'). "
                     "Send the file as text/csv or as multipart field 'file'. When a line has an error nothing "
                     "changes (422 with the per-line report) unless partial=true; explicit=true turns a plan "
                     "covering all accounts into the file's list")
def activate_csv(request, source_id: str, partial: bool = False, explicit: bool = False):
    plan = plans.for_source(_source(request.auth, source_id, Perm.BACKUP_MANAGE))
    if request.content_type.startswith("multipart/"):
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError("the multipart body has no 'file' field")
        data = upload.read(activation.MAX_BYTES + 1)
    else:
        data = request.body
    report = activation.activate(plan, data, partial=partial, explicit=explicit, actor=request.auth)
    if report["errors"] and not report["applied"]:
        return Status(422, report)
    return report


@router.get("/customers/{customer_id}/backup/history", response=list[dict],
            summary="Protected data per day (items, bytes, snapshots taken) over the last 30, 90 or 365 days, "
                    "oldest first; one plan with plan=ID")
def protected_history(request, customer_id: str, days: int = history.DEFAULT_DAYS, plan: str | None = None):
    customer = access.get_customer(request.auth, customer_id, Perm.BACKUP_VIEW)
    chosen = None
    if plan:
        chosen = customer.backup_plans.filter(id=plan).first()
        if chosen is None:
            raise Http404(f"no backup plan {plan!r} for this customer")
    return history.protected(customer, history.clean_days(days), plan=chosen)
