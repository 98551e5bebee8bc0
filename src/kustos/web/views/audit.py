"""Dashboard page "Audit log": events within the user's scope, filtered, paged; a verify button."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.audit import query

PAGE = 100


def _page(value: str) -> int:
    return int(value) if value.isdigit() and 0 < int(value) <= 10_000 else 1


@login_required
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    access.require(request.user, Perm.AUDIT_VIEW)
    get = request.GET
    page = _page(get.get("page", ""))
    values = {k: get.get(k, "").strip() for k in ("customer", "user", "action", "since", "until")}
    error, events, verified = "", [], None
    try:
        f = query.filters(**values, offset=(page - 1) * PAGE, limit=PAGE)
        events = query.events(request.user, f)
    except ValidationError as exc:
        error = "; ".join(exc.messages)
    can_verify = access.has_perm(request.user, Perm.AUDIT_VERIFY)
    if can_verify and get.get("verify") == "1":
        verified = query.verify(request.user)
    context = {
        "events": events, "values": values, "error": error, "page": page, "has_next": len(events) == PAGE,
        "customers": access.customers_for(request.user).order_by("name")[:500], "can_verify": can_verify,
        "verified": verified, "query_string": urlencode({k: v for k, v in values.items() if v}),
    }
    return render(request, "kustos/audit/log.html", context)
