"""/api/v1 legal holds (requirement 12): cases of a customer, their holds and held messages.

Partner admins and customer admins (`lifecycle.hold`); auditors never. Creating a hold records
every message matching the query at once (and mail archived later that matches, while the hold
is active); releasing keeps the hold for the record.
"""

from __future__ import annotations

from ninja import Router, Schema, Status

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.lifecycle.services import holds

router = Router(tags=["legal holds"])


class HoldIn(Schema):
    case: str = ""  # checked by the service (one-line 422 naming the problem)
    query: str = ""
    mailboxes: list[str] = []
    description: str = ""


@router.get("/customers/{customer_id}/holds", response=list[dict],
            summary="Cases of the customer, newest first, each with its holds (query, mailboxes, count, "
                    "released when and by whom) and the number of messages held now")
def list_cases(request, customer_id: str):
    customer = access.get_customer(request.auth, customer_id, Perm.LEGAL_HOLD)
    return holds.cases(customer)


@router.post("/customers/{customer_id}/holds", response={201: dict},
             summary="Open a case (or add to the case of that name) with a hold on every message matching "
                     "the query (empty or * = everything), optionally only in some mailboxes; returns id and count")
def create_hold(request, customer_id: str, body: HoldIn):
    customer = access.get_customer(request.auth, customer_id, Perm.LEGAL_HOLD)
    hold = holds.create(customer, body.case, body.query, mailboxes=body.mailboxes, description=body.description,
                        actor=request.auth)
    return Status(201, holds.hold_dict(hold))


@router.get("/customers/{customer_id}/holds/cases/{case_id}", response=dict,
            summary="One case: its holds and the messages they hold (at most 500 listed; `messages` counts all)")
def show_case(request, customer_id: str, case_id: str):
    customer = access.get_customer(request.auth, customer_id, Perm.LEGAL_HOLD)
    return holds.case_detail(customer, case_id)


@router.post("/customers/{customer_id}/holds/{hold_id}/release", response=dict,
             summary="Release a hold: its messages may be deleted again unless another hold applies "
                     "(the hold and its items are kept for the record)")
def release_hold(request, customer_id: str, hold_id: str):
    customer = access.get_customer(request.auth, customer_id, Perm.LEGAL_HOLD)
    return holds.hold_dict(holds.release(holds.get(hold_id, customer), actor=request.auth))
