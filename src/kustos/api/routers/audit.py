"""/api/v1/audit: the hash-chained audit log, read within the caller's scope, and its verification."""

from __future__ import annotations

from typing import Any

from ninja import Router, Schema

from kustos.audit import query

router = Router(tags=["audit"])


class AuditEventOut(Schema):
    seq: int
    at: str
    actor: str
    action: str
    customer: str
    target: str
    outcome: str
    detail: dict[str, Any]


class BrokenOut(Schema):
    seq: int
    reason: str


class VerifyOut(Schema):
    ok: bool
    events: int
    first_broken: BrokenOut | None


@router.get("/audit", response=list[AuditEventOut], summary="Audit events you may see, newest first")
def list_events(request, customer: str = "", user: str = "", action: str = "", since: str = "", until: str = "",
                offset: int = 0, limit: int = query.DEFAULT_LIMIT):
    f = query.filters(customer=customer, user=user, action=action, since=since, until=until, offset=offset,
                      limit=limit)
    return [query.row(ev) for ev in query.events(request.auth, f)]


@router.get("/audit/verify", response=VerifyOut, summary="Verify the whole audit chain (operator, partner admin)")
def verify(request):
    return query.verify(request.auth)
