"""Approving a deletion proposal (requirement 11). ``required_approvals`` different people
must approve (four-eyes when 2); the same person cannot approve twice. When the last approval
arrives the messages are deleted — except those that got a legal hold since the proposal
(counted as ``held``, kept)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.accounts.models import User
from kustos.audit.services import record
from kustos.lifecycle.models import DeletionApproval, DeletionProposal
from kustos.lifecycle.services import deletion
from kustos.lifecycle.services.classes import RetentionError
from kustos.lifecycle.services.proposals import held_ids
from kustos.tenants.models import Customer


def get_proposal(customer: Customer | None, proposal_id: str) -> DeletionProposal:
    qs = DeletionProposal.objects.select_related("customer")
    if customer is not None:
        qs = qs.filter(customer=customer)
    proposal = qs.filter(id=proposal_id).first()
    if proposal is None:
        raise Http404(f"no deletion proposal {proposal_id!r}")
    return proposal


def authorised_approver(customer: Customer, user_email: str) -> str:
    """The lower-case address of an active user who may approve deletions for ``customer``."""
    email = (user_email or "").strip().lower()
    if not email or "@" not in email:
        raise RetentionError("an approval needs the approving person's e-mail address")
    user = User.objects.filter(email__iexact=email, is_active=True).first()
    if user is None:
        raise RetentionError(f"{email} is not an active user")
    try:
        access.get_customer(user, customer.id, Perm.RETENTION_MANAGE)
    except (Http404, PermissionDenied):
        raise RetentionError(f"{email} may not approve deletions of this customer") from None
    return email


def approve(proposal: DeletionProposal, user_email: str, *, actor: Any = None) -> dict[str, Any]:
    """Record ``user_email``'s approval (an authorised person); delete when enough different
    people approved."""
    email = authorised_approver(proposal.customer, user_email)
    with transaction.atomic():
        proposal = DeletionProposal.objects.select_for_update().get(pk=proposal.pk)
        if proposal.status == DeletionProposal.Status.DONE:
            raise RetentionError(f"proposal {proposal.id} is already carried out")
        if proposal.status == DeletionProposal.Status.REJECTED:
            raise RetentionError(f"proposal {proposal.id} was rejected")
        if proposal.status == DeletionProposal.Status.OPEN:
            try:
                with transaction.atomic():
                    DeletionApproval.objects.create(proposal=proposal, user=email)
            except IntegrityError:
                raise RetentionError(f"{email} has already approved proposal {proposal.id}; "
                                     "another person must approve") from None
        approvers = list(proposal.approvals.order_by("approved_at").values_list("user", flat=True))
        remaining = max(0, proposal.required_approvals - len(approvers))
        if remaining == 0 and proposal.status == DeletionProposal.Status.OPEN:
            proposal.status = DeletionProposal.Status.APPROVED
            proposal.save(update_fields=["status"])
    record("retention.approve", actor=actor or email, customer=proposal.customer, target=proposal.id,
           detail={"user": email, "remaining_approvals": remaining})
    if remaining:
        return {"deleted": 0, "held": 0, "remaining_approvals": remaining, "status": proposal.status}
    return _carry_out(proposal, approvers, actor=actor or email)


def reject(proposal: DeletionProposal, user_email: str, reason: str, *, actor: Any = None) -> dict[str, Any]:
    """An authorised person rejects an open proposal (for example: a tax assessment is still open,
    so the retention period is suspended). Nothing is deleted; the next retention run proposes
    the messages again unless their retention was extended meanwhile."""
    email = authorised_approver(proposal.customer, user_email)
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise RetentionError("give a reason (at least 5 characters) for rejecting a deletion proposal")
    with transaction.atomic():
        proposal = DeletionProposal.objects.select_for_update().get(pk=proposal.pk)
        if proposal.status != DeletionProposal.Status.OPEN:
            raise RetentionError(f"proposal {proposal.id} is {proposal.status}, only an open proposal can be rejected")
        proposal.status = DeletionProposal.Status.REJECTED
        proposal.decided_at = timezone.now()
        proposal.result = {**(proposal.result or {}), "rejected_by": email, "rejection_reason": reason[:300]}
        proposal.save(update_fields=["status", "decided_at", "result"])
    record("retention.reject", actor=actor or email, customer=proposal.customer, target=proposal.id,
           detail={"user": email, "reason": reason[:300], "messages": proposal.messages})
    return {"id": proposal.id, "status": proposal.status, "rejected_by": email, "reason": reason[:300]}


def _carry_out(proposal: DeletionProposal, approvers: list[str], *, actor: Any) -> dict[str, Any]:
    customer = proposal.customer
    ids = list(proposal.items.values_list("message_id", flat=True))
    held = held_ids(customer, ids)
    todo = [i for i in ids if i not in held]
    result = deletion.delete_messages(customer, todo, approved_by=approvers, proposal=proposal.id,
                                      reason=proposal.result.get("reason", "retention expired"), actor=actor)
    proposal.status = DeletionProposal.Status.DONE
    proposal.decided_at = timezone.now()
    proposal.result = {**proposal.result, **result, "held": len(held), "approved_by": approvers}
    proposal.save(update_fields=["status", "decided_at", "result"])
    return {"deleted": result["deleted"], "held": len(held), "remaining_approvals": 0, "status": proposal.status,
            "packs_deleted": result["packs_deleted"], "years_dropped": result["years_dropped"]}
