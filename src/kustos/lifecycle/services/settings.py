"""Per-customer lifecycle settings (four-eyes: required approvals of a deletion proposal)."""

from __future__ import annotations

from kustos.audit.services import record
from kustos.lifecycle.models.settings import LifecycleSetting
from kustos.lifecycle.services.classes import RetentionError
from kustos.tenants.models import Customer

MAX_APPROVALS = 5


def required_approvals(customer: Customer) -> int:
    row = LifecycleSetting.objects.filter(customer=customer).first()
    return row.required_approvals if row else 1


def set_required_approvals(customer: Customer, count: int, *, actor: object = None) -> int:
    if not isinstance(count, int) or not 1 <= count <= MAX_APPROVALS:
        raise RetentionError(f"required approvals must be between 1 and {MAX_APPROVALS}, not {count}")
    row, _ = LifecycleSetting.objects.get_or_create(customer=customer)
    row.required_approvals = int(count)
    row.updated_by = str(getattr(actor, "email", actor) or "")[:254]
    row.save()
    record("retention.settings", actor=actor, customer=customer, target=customer.id,
           detail={"required_approvals": int(count)})
    return row.required_approvals
