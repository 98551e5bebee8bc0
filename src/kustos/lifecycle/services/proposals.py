"""Deletion proposals (requirement 11): a retention run proposes exactly the messages whose
retention ended before ``as_of`` and that no active legal hold covers; nothing is deleted
until enough people approved (:mod:`kustos.lifecycle.services.approve`).

:func:`propose` is also the entry point of GDPR erasure (Art. 17): the erasure decision
proposes the subject's messages, which then go through the same approval.
:func:`held_ids` is the one place that answers "which of these messages are held".
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import transaction

from kustos.archive.models import Message
from kustos.audit.services import record
from kustos.lifecycle.models import DeletionProposal, HoldItem, ProposalItem
from kustos.lifecycle.services import settings as lifecycle_settings
from kustos.tenants.models import Customer


def held_ids(customer: Customer, ids: Iterable[str]) -> set[str]:
    """The ids among ``ids`` that an active legal hold of ``customer`` covers."""
    ids = list(ids)
    if not ids:
        return set()
    held: set[str] = set()
    for start in range(0, len(ids), 5000):
        chunk = ids[start:start + 5000]
        held.update(HoldItem.objects.filter(hold__case__customer=customer, hold__released_at__isnull=True,
                                            message_id__in=chunk).values_list("message_id", flat=True))
    return held


def pending_ids(customer: Customer) -> set[str]:
    """Messages already in an open (not yet carried out) proposal of ``customer``."""
    return set(ProposalItem.objects.filter(
        proposal__customer=customer,
        proposal__status__in=[DeletionProposal.Status.OPEN, DeletionProposal.Status.APPROVED],
    ).values_list("message_id", flat=True))


def expired_ids(customer: Customer, as_of: date) -> list[str]:
    """Messages whose retention ended before ``as_of``, not held, not already waiting in an open
    proposal (a monthly run does not propose them twice). Restricted messages are included: a
    restriction kept them for the retention duty or a hold (Art. 17(3)(b), 18); once the duty
    has ended and no hold remains, their deletion is proposed like any other."""
    ids = list(Message.objects.filter(customer=customer, retention_end__lt=as_of)
               .order_by("seq").values_list("id", flat=True))
    skip = held_ids(customer, ids) | pending_ids(customer)
    return [i for i in ids if i not in skip]


def propose(customer: Customer, message_ids: Iterable[str], *, as_of: date, created_by: str,
            reason: str = "retention expired") -> DeletionProposal:
    """Create an open proposal for ``message_ids`` (messages of ``customer``; unknown ids are
    ignored, held ones are left out). Returns the proposal, possibly with 0 messages."""
    wanted = list(dict.fromkeys(message_ids))
    held = held_ids(customer, wanted)
    rows = []
    for start in range(0, len(wanted), 5000):
        chunk = [i for i in wanted[start:start + 5000] if i not in held]
        rows.extend(Message.objects.filter(customer=customer, id__in=chunk)
                    .values_list("id", "sha256", "retention_end", "size"))
    with transaction.atomic():
        proposal = DeletionProposal.objects.create(
            customer=customer, as_of=as_of, messages=len(rows), bytes=sum(r[3] for r in rows),
            required_approvals=lifecycle_settings.required_approvals(customer), created_by=created_by[:254],
            result={"reason": reason[:200], "held_at_proposal": len(held)})
        ProposalItem.objects.bulk_create(
            [ProposalItem(proposal=proposal, message_id=mid, sha256=sha, retention_end=end or as_of)
             for mid, sha, end, _ in rows], batch_size=2000)
    record("retention.propose", actor=created_by or "system", customer=customer, target=proposal.id,
           detail={"messages": len(rows), "held": len(held), "as_of": as_of.isoformat(), "reason": reason[:200]})
    return proposal


def open_proposals(customer: Customer) -> list[DeletionProposal]:
    return list(DeletionProposal.objects.filter(customer=customer).order_by("-created_at"))


def as_row(p: DeletionProposal) -> dict:
    return {"id": p.id, "messages": p.messages, "created": p.created_at.isoformat(), "status": p.status,
            "as_of": p.as_of.isoformat(), "bytes": p.bytes, "required_approvals": p.required_approvals,
            "approvals": [a.user for a in p.approvals.all()], "created_by": p.created_by,
            "reason": p.result.get("reason", "")}
