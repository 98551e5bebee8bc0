"""Dashboard page "Billing": a month's statement (rules in billing/services/statement.py) as a
table with totals and as a CSV download; the operator picks a partner or all partners, a partner
admin sees its own partner."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from kustos.accounts import access
from kustos.accounts.roles import Role
from kustos.billing.services import statement_csv
from kustos.billing.services.statement import BERLIN, COLUMNS, MissingPrice, Month, statement


def _month(request: HttpRequest) -> str:
    return request.GET.get("month", "").strip() or str(Month.previous(timezone.now().astimezone(BERLIN).date()))


@login_required
@require_GET
def billing_page(request: HttpRequest) -> HttpResponse:
    partner_id = request.GET.get("partner", "").strip()
    scope = access.billing_partner(request.user, partner_id)
    month = _month(request)
    error, st = "", None
    try:
        st = statement(month, scope)
    except (ValidationError, MissingPrice) as exc:
        error = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
    is_operator = request.user.role == Role.OPERATOR
    context = {
        "month": month, "statement": st, "rows": [r.labelled() for r in st.rows] if st else [], "columns": COLUMNS,
        "error": error, "partner_id": scope.id if scope else "", "is_operator": is_operator,
        "partners": access.partners_for(request.user).order_by("name") if is_operator else [],
        "scope_name": scope.name if scope else "", "show_partner": is_operator and scope is None,
    }
    return render(request, "kustos/billing/statement.html", context)


@login_required
@require_GET
def billing_csv(request: HttpRequest) -> HttpResponse:
    scope = access.billing_partner(request.user, request.GET.get("partner", "").strip())
    try:
        st = statement(_month(request), scope)
    except ValidationError as exc:
        return HttpResponse("; ".join(exc.messages), status=422, content_type="text/plain; charset=utf-8")
    except MissingPrice as exc:
        return HttpResponse(str(exc), status=409, content_type="text/plain; charset=utf-8")
    resp = HttpResponse(statement_csv.to_bytes(st), content_type="text/csv; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="{statement_csv.filename(st)}"'
    return resp
