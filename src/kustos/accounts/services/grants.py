"""Auditor grants: list and revoke (granting is ``users.grant``). Every change is audited."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from kustos.accounts.models import AuditorGrant
from kustos.audit import services as audit


def clean_mailboxes(values: list[str] | None) -> list[str]:
    """Lower-case, de-duplicated addresses; raises ValidationError naming a malformed one."""
    boxes = sorted({v.strip().lower() for v in (values or []) if v and v.strip()})
    for box in boxes:
        if "@" not in box or " " in box or len(box) > 320:
            raise ValidationError(f"invalid mailbox address {box!r}")
    return boxes


def revoke(grant: AuditorGrant, *, actor: Any) -> AuditorGrant:
    """End the grant now (idempotent: a revoked grant keeps its first revocation time)."""
    if grant.revoked_at is None:
        grant.revoked_at = timezone.now()
        grant.save(update_fields=["revoked_at"])
        audit.record("auditor.revoke", actor=actor, customer=grant.customer, target=grant.user_id,
                     detail={"grant": grant.id})
    return grant


def row(grant: AuditorGrant) -> dict[str, Any]:
    """The grant as the API and the CLI show it."""
    return {
        "id": grant.id, "user": grant.user_id, "email": grant.user.email, "customer": grant.customer_id,
        "date_from": grant.date_from.isoformat() if grant.date_from else None,
        "date_to": grant.date_to.isoformat() if grant.date_to else None,
        "expires_at": grant.expires_at.isoformat(), "tax_relevant_only": grant.tax_relevant_only,
        "mailboxes": list(grant.mailboxes or []), "granted_by": grant.granted_by,
        "revoked_at": grant.revoked_at.isoformat() if grant.revoked_at else None, "active": grant.active,
    }
