"""Data-subject requests: one entry point for the three kinds, listing and reading them.

``run`` dispatches to ``gdpr_access.access`` (Art. 15) or ``gdpr_erase.decide`` (Art. 17/18);
``as_dict`` is the shape the CLI and the API return:
``{"request": id, "kind", "subject", "messages", "summary", "decisions": [{"message", "decision", "reason"}]}``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404

from kustos.lifecycle.models import GdprRequest
from kustos.lifecycle.services import gdpr_access, gdpr_erase
from kustos.tenants.models import Customer

KINDS = tuple(GdprRequest.Kind.values)


def run(customer: Customer, kind: str, subject: str, *, actor: Any, today: date | None = None) -> GdprRequest:
    if kind not in KINDS:
        raise ValidationError(f"request kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if kind == GdprRequest.Kind.ACCESS:
        return gdpr_access.access(customer, subject, actor=actor)
    return gdpr_erase.decide(customer, subject, kind, actor=actor, today=today)


def requests(customer: Customer) -> list[GdprRequest]:
    return list(GdprRequest.objects.filter(customer=customer).order_by("-created_at"))


def get(customer: Customer, request_id: str) -> GdprRequest:
    request = GdprRequest.objects.select_related("customer").filter(customer=customer,
                                                                     id=(request_id or "").strip()).first()
    if request is None:
        raise Http404(f"no such request: {request_id}")
    return request


def summary_dict(request: GdprRequest) -> dict[str, Any]:
    return {"request": request.id, "kind": request.kind, "subject": request.subject, "messages": request.messages,
            "summary": dict(request.summary or {}), "created_at": request.created_at.isoformat(),
            "created_by": request.created_by}


def as_dict(request: GdprRequest) -> dict[str, Any]:
    out = summary_dict(request)
    out["decisions"] = [{"message": d.message_id, "decision": d.decision, "reason": d.reason,
                         "retention_end": d.retention_end.isoformat() if d.retention_end else None,
                         "holds": list(d.holds or []), "proposal": d.proposal}
                        for d in request.decisions.order_by("id")]
    return out
