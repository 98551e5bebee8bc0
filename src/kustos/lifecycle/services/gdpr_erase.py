"""Erasure (Art. 17) and restriction (Art. 18) requests: a decision per message, with its reason
(requirement 23).

Erasure, per message concerning the subject:

* on an active legal hold → ``restricted`` (the reason names the case; Art. 17(3)(e));
* still in its legal retention period (``retention_end >= today``) → ``restricted`` (reason:
  the retention duty until that day, § 147 AO / § 257 HGB, Art. 17(3)(b));
* otherwise → ``deletion_proposed``: one deletion proposal for all of them
  (``proposals.propose``), deleted only after approval (requirement 11).

Restriction restricts every message regardless. A restricted message keeps its bytes in the
vault; it is hidden from normal search (its search document is rewritten with
``restricted=True``) and from message views of users without ``include_restricted``.
Every decision is one audit event with its reason.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from kustos.archive.models import Message
from kustos.archive.services import messages as message_service
from kustos.audit import services as audit
from kustos.lifecycle.models import GdprDecision, GdprRequest
from kustos.lifecycle.services import holds, proposals
from kustos.lifecycle.services.gdpr_subject import Concern, clean_subject, find
from kustos.lifecycle.services.holds_select import chunks
from kustos.tenants.models import Customer

Decision = GdprDecision.Decision


def retention_end(message: Message) -> date | None:
    """The message's retention end; rows from before classification fall back to the end of
    their pack's retention year (31 Dec of the year the ingest computed)."""
    if message.retention_end is not None:
        return message.retention_end
    if message.retention_year:
        return date(message.retention_year, 12, 31)
    return None


def _reason_held(hold_list: list) -> str:
    cases = sorted({f"{h.case.name} (hold {h.id})" for h in hold_list})
    return ("on legal hold for case " + ", ".join(cases) + ", Art. 17(3)(e)")[:300]


def _reason_retained(end: date) -> str:
    return f"legal retention duty until {end.isoformat()} (§ 147 AO / § 257 HGB), Art. 17(3)(b)"


REASON_UNKNOWN = "retention end not determined: kept for the longest legal retention duty (§ 147 AO), Art. 17(3)(b)"
REASON_EXPIRED = "no retention duty or hold applies any more: deletion proposed for approval"
REASON_RESTRICT = "restriction of processing requested by the data subject, Art. 18"


def decide(customer: Customer, subject: str, kind: str, *, actor: Any, today: date | None = None) -> GdprRequest:
    """Run an erasure (``erase``) or restriction (``restrict``) request for ``subject``."""
    address = clean_subject(subject)
    today = today or timezone.localdate()
    concerns = find(customer, address)
    ids = [c.message.id for c in concerns]
    held = proposals.held_ids(customer, ids)
    on_hold = holds.holds_on(customer, sorted(held))
    plan: list[tuple[Concern, str, str, date | None, list[str]]] = []
    for c in concerns:
        mid, end = c.message.id, retention_end(c.message)
        hold_ids = sorted(h.id for h in on_hold.get(mid, []))
        if kind == GdprRequest.Kind.RESTRICT:
            plan.append((c, Decision.RESTRICTED, REASON_RESTRICT, end, hold_ids))
        elif mid in held:
            plan.append((c, Decision.RESTRICTED, _reason_held(on_hold.get(mid, [])), end, hold_ids))
        elif end is None:
            plan.append((c, Decision.RESTRICTED, REASON_UNKNOWN, end, hold_ids))
        elif end >= today:
            plan.append((c, Decision.RESTRICTED, _reason_retained(end), end, hold_ids))
        else:
            plan.append((c, Decision.DELETION_PROPOSED, REASON_EXPIRED, end, hold_ids))
    who = holds.actor_name(actor)
    deletable = [c.message.id for c, d, *_ in plan if d == Decision.DELETION_PROPOSED]
    proposal_id = ""
    if deletable:
        proposal = proposals.propose(customer, deletable, as_of=today, created_by=who or "gdpr",
                                     reason=f"GDPR erasure request (Art. 17) of {address}")
        proposal_id = proposal.id
    with transaction.atomic():
        request = GdprRequest.objects.create(customer=customer, kind=kind, subject=address, messages=len(plan),
                                             created_by=who)
        GdprDecision.objects.bulk_create([
            GdprDecision(request=request, message_id=c.message.id, decision=d, reason=reason, retention_end=end,
                         holds=hold_ids, proposal=proposal_id if d == Decision.DELETION_PROPOSED else "")
            for c, d, reason, end, hold_ids in plan], batch_size=1000)
        request.summary = _counts(d for _, d, *_ in plan)
        request.save(update_fields=["summary"])
    restrict([c.message for c, d, *_ in plan if d == Decision.RESTRICTED])
    audit.record(f"gdpr.{kind}", actor=actor, customer=customer, target=request.id,
                 detail={"subject": address, "messages": len(plan), **request.summary,
                         **({"proposal": proposal_id} if proposal_id else {})})
    for c, d, reason, _end, _holds in plan:
        audit.record("gdpr.decision", actor=actor, customer=customer, target=c.message.id,
                     detail={"request": request.id, "decision": str(d), "reason": reason})
    return request


def _counts(decisions) -> dict[str, int]:
    out: dict[str, int] = {}
    for d in decisions:
        out[str(d)] = out.get(str(d), 0) + 1
    return out


def restrict(messages: list[Message]) -> int:
    """Mark ``messages`` restricted and rewrite their search documents (bytes stay in the vault).

    ``indexed=False`` first, so a crash before the index commit leaves them for
    ``reindex_pending``; then each document is replaced at once.
    """
    ids = [m.id for m in messages if not m.restricted]
    if not ids:
        return 0
    for chunk in chunks(ids):
        Message.objects.filter(id__in=chunk).update(restricted=True, indexed=False)
        for message in Message.objects.filter(id__in=chunk).select_related("customer"):
            message_service.reindex(message)
    return len(ids)
