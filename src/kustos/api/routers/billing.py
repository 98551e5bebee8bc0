"""/api/v1/billing/{month}.csv and /api/v1/billing/{month}: the monthly billing statement (rules in
billing/services/statement.py). The operator reads every partner's or one (``?partner=``), a partner
admin its own partner's; everyone else gets 403. No price for a billed row: 409."""

from __future__ import annotations

from django.http import HttpResponse
from ninja import Router, Schema
from ninja.errors import HttpError

from kustos.accounts import access
from kustos.billing.services import statement_csv
from kustos.billing.services.statement import MissingPrice, Statement, statement

router = Router(tags=["billing"])

CSV_RESPONSE = {"responses": {200: {"description": "the billing CSV (UTF-8, header row)",
                                    "content": {"text/csv": {"schema": {"type": "string"}}}}}}


class RowOut(Schema):
    customer_id: str
    customer_name: str
    legal_name: str
    service: str
    unit: str
    quantity: str
    unit_price: str
    amount: str
    trial_days: str
    activated: str
    ended: str
    partner_id: str
    partner_name: str


class StatementOut(Schema):
    month: str
    partner: str
    columns: list[str]
    rows: list[RowOut]
    total: str
    totals: dict[str, str]


def _statement(request, month: str, partner: str) -> Statement:
    scope = access.billing_partner(request.auth, partner)
    try:
        return statement(month, scope)
    except MissingPrice as exc:
        raise HttpError(409, str(exc)) from exc


@router.get("/billing/{month}.csv", summary="A month's billing CSV (operator: all partners or ?partner=; "
            "partner admin: own partner)", openapi_extra=CSV_RESPONSE)
def billing_csv(request, month: str, partner: str = ""):
    st = _statement(request, month, partner)
    resp = HttpResponse(statement_csv.to_bytes(st), content_type="text/csv; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="{statement_csv.filename(st)}"'
    return resp


@router.get("/billing/{month}", response=StatementOut, summary="A month's billing rows and totals (JSON)")
def billing_json(request, month: str, partner: str = ""):
    return _statement(request, month, partner).as_dict()
