"""The one writer of audit events, and the chain verifier.

Every event's digest is SHA-256 over the previous digest and the event's canonical
JSON, so editing or removing an entry breaks the chain and ``verify_chain`` names it.
Never put message contents or secrets into ``detail``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from kustos.audit.models import AuditEvent, AuditHead


def _canonical(event: dict[str, Any]) -> bytes:
    return json.dumps(event, sort_keys=True, separators=(",", ":"), default=str).encode()


def _fields(ev: AuditEvent) -> dict[str, Any]:
    return {
        "seq": ev.seq, "at": ev.at.isoformat(), "actor": ev.actor, "actor_role": ev.actor_role,
        "action": ev.action, "customer_id": ev.customer_id, "partner_id": ev.partner_id,
        "target": ev.target, "outcome": ev.outcome, "detail": ev.detail, "ip": ev.ip,
    }


def _digest(prev: str, ev: AuditEvent) -> str:
    return hashlib.sha256(prev.encode() + _canonical(_fields(ev))).hexdigest()


def record(action: str, *, actor: Any = None, customer: Any = None, partner: Any = None,
           target: str = "", outcome: str = "ok", detail: dict | None = None, ip: str = "") -> AuditEvent:
    """Append one audit event. ``actor`` is a User, a string ("system", "cli") or None."""
    actor_name, actor_role = _actor(actor)
    customer_id = getattr(customer, "id", customer) or ""
    partner_id = getattr(partner, "id", partner) or getattr(customer, "partner_id", "") or ""
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(id=1)
        ev = AuditEvent(
            seq=head.seq + 1, at=timezone.now(), actor=actor_name, actor_role=actor_role, action=action,
            customer_id=str(customer_id), partner_id=str(partner_id), target=str(target)[:200],
            outcome=outcome, detail=detail or {}, ip=ip or "", prev_digest=head.digest,
        )
        # Round-trip the detail through JSON so the digest matches what the DB returns later; NUL
        # characters (user input: a search for "\x00") become U+FFFD, PostgreSQL's JSON cannot hold them.
        ev.detail = _no_nul(json.loads(json.dumps(ev.detail, default=str)))
        ev.target = ev.target.replace("\x00", "\ufffd")
        ev.digest = _digest(head.digest, ev)
        ev.save(force_insert=True)
        head.seq, head.digest = ev.seq, ev.digest
        head.save()
    return ev


def _no_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, list):
        return [_no_nul(v) for v in value]
    if isinstance(value, dict):
        return {_no_nul(k): _no_nul(v) for k, v in value.items()}
    return value


def _actor(actor: Any) -> tuple[str, str]:
    if actor is None:
        return "system", ""
    if isinstance(actor, str):
        return actor, ""
    if getattr(actor, "is_authenticated", False):
        return actor.email, getattr(actor, "role", "")
    return "anonymous", ""


@dataclass
class ChainReport:
    ok: bool
    checked: int
    broken: list[dict[str, Any]] = field(default_factory=list)


def verify_chain() -> ChainReport:
    """Walk the chain from the start; report every event whose digest or link is wrong."""
    prev = "0" * 64
    expected_seq = 1
    broken: list[dict[str, Any]] = []
    checked = 0
    for ev in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        checked += 1
        if ev.seq != expected_seq:
            broken.append({"seq": expected_seq, "problem": f"missing events {expected_seq}..{ev.seq - 1}"})
        if ev.prev_digest != prev:
            broken.append({"seq": ev.seq, "problem": "link to previous event broken"})
        if _digest(ev.prev_digest, ev) != ev.digest:
            broken.append({"seq": ev.seq, "problem": "event content altered"})
        prev, expected_seq = ev.digest, ev.seq + 1
    head = AuditHead.objects.filter(id=1).first()
    if head and head.seq != expected_seq - 1:
        broken.append({"seq": head.seq, "problem": "events after the last stored one were removed"})
    return ChainReport(ok=not broken, checked=checked, broken=broken)
