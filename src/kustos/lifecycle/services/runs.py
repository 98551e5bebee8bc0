"""A retention run: apply the rules (extend only), then propose every expired, unheld message
(requirement 11). Nothing is deleted here; deletion needs approval."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone

from kustos.lifecycle.services import classify, proposals
from kustos.lifecycle.services.classes import RetentionError
from kustos.tenants.models import Customer


def parse_as_of(text: str | None) -> date:
    if not text:
        return timezone.localdate()
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise RetentionError(f"--as-of must be a date YYYY-MM-DD, not {text!r}") from None


def run(customer: Customer, *, as_of: date | None = None, created_by: str = "scheduler") -> dict[str, Any]:
    as_of = as_of or timezone.localdate()
    applied = classify.apply(customer, actor=created_by)
    ids = proposals.expired_ids(customer, as_of)
    if not ids:
        return {"proposed": 0, "id": None, "applied": applied, "as_of": as_of.isoformat()}
    proposal = proposals.propose(customer, ids, as_of=as_of, created_by=created_by, reason="retention expired")
    return {"proposed": proposal.messages, "id": proposal.id, "applied": applied, "as_of": as_of.isoformat()}
