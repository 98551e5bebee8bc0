"""/api/v1 retention (requirements 8–13): classes and rules of a customer, applying the rules
(extension only) and the audited shortening migration, retention runs, deletion proposals and
their approval (four-eyes when the customer requires two approvals), tombstones.

Partner and customer admins manage (`lifecycle.retention.manage`); partner technicians read
(`lifecycle.retention.view`); auditors never. An approval is always given by the signed-in user.
Bad input answers 422 with a one-line problem detail.
"""

from __future__ import annotations

from ninja import Router, Schema

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.lifecycle.services import approve, classes, classify, proposals, rules, runs, settings, tombstones

router = Router(tags=["retention"])


# Fields default to empty so that authorisation is decided before the input is judged (the
# services answer 422 naming the problem).
class ClassIn(Schema):
    name: str = ""
    years: int | None = None  # None = keep forever
    tax_relevant: bool = False
    description: str = ""


class RuleIn(Schema):
    retention_class: str = ""  # class name or id
    mailbox: str = ""
    folder: str = ""
    from_addr: str = ""
    query: str = ""
    priority: int = 100
    tax_relevant: bool = False


class RuleUpdate(Schema):
    retention_class: str | None = None
    mailbox: str | None = None
    folder: str | None = None
    from_addr: str | None = None
    query: str | None = None
    priority: int | None = None
    active: bool | None = None
    tax_relevant: bool | None = None


class MigrateIn(Schema):
    shorten: bool = False
    reason: str = ""


class RunIn(Schema):
    as_of: str | None = None  # YYYY-MM-DD, default today


class RejectIn(Schema):
    reason: str = ""


class SettingsIn(Schema):
    required_approvals: int | None = None


@router.get("/customers/{customer_id}/retention", response=dict,
            summary="Overview: classes, rules with the number of messages each covers, required approvals, "
                    "proposals, the suggested default classes")
def overview(request, customer_id: str):
    customer = access.get_customer(request.auth, customer_id, Perm.RETENTION_VIEW)
    counts = rules.covered(customer)
    return {"classes": [classes.as_row(c) for c in classes.list_classes(customer)],
            "rules": [rules.as_row(r, counts) for r in rules.list_rules(customer)],
            "required_approvals": settings.required_approvals(customer),
            "proposals": [proposals.as_row(p) for p in proposals.open_proposals(customer)],
            "suggested": [{"name": n, "years": y, "tax_relevant": t} for n, y, t, _ in classes.SUGGESTED]}


@router.post("/customers/{customer_id}/retention/classes", response={201: dict},
             summary="Add a retention class (years 1..100, or null = keep forever)")
def add_class(request, customer_id: str, body: ClassIn):
    customer = access.get_customer(request.auth, customer_id, Perm.RETENTION_MANAGE)
    rc = classes.add(customer, body.name, body.years, tax_relevant=body.tax_relevant,
                     description=body.description, actor=request.auth)
    return 201, classes.as_row(rc)


@router.post("/customers/{customer_id}/retention/classes/suggested", response={201: list[dict]},
             summary="Add the suggested classes that do not exist yet (business letters 6 years, booking vouchers "
                     "8, books and annual accounts 10, keep forever)")
def add_suggested(request, customer_id: str):
    customer = access.get_customer(request.auth, customer_id, Perm.RETENTION_MANAGE)
    return 201, [classes.as_row(c) for c in classes.add_suggested(customer, actor=request.auth)]


@router.post("/customers/{customer_id}/retention/rules", response={201: dict},
             summary="Add a rule: matching mail (all given criteria) falls into the class")
def add_rule(request, customer_id: str, body: RuleIn):
    customer = access.get_customer(request.auth, customer_id, Perm.RETENTION_MANAGE)
    values = body.dict(exclude={"retention_class"})
    return 201, rules.as_row(rules.add(customer, body.retention_class, actor=request.auth, **values))


@router.patch("/customers/{customer_id}/retention/rules/{rule_id}", response=dict,
              summary="Change a rule (its version grows); apply it to archived mail with POST …/retention/apply")
def update_rule(request, customer_id: str, rule_id: str, body: RuleUpdate):
    customer = access.get_customer(request.auth, customer_id, Perm.RETENTION_MANAGE)
    values = {k: v for k, v in body.dict(exclude={"retention_class"}).items() if v is not None}
    rule = rules.update(customer, rule_id, class_name=body.retention_class, actor=request.auth, **values)
    return rules.as_row(rule, rules.covered(customer))


@router.post("/customers/{customer_id}/retention/apply", response=dict,
             summary="Apply the rules to archived mail: retention ends only grow; `would_shorten` counts the "
                     "messages a rule would shorten (not changed)")
def apply_rules(request, customer_id: str):
    customer = access.get_customer(request.auth, customer_id, Perm.RETENTION_MANAGE)
    return classify.apply(customer, actor=request.auth)


@router.post("/customers/{customer_id}/retention/migrate", response=dict,
             summary="Apply the rules and also shorten retention where they say so (explicit, with a reason, "
                     "audited)")
def migrate(request, customer_id: str, body: MigrateIn):
    customer = access.get_customer(request.auth, customer_id, Perm.RETENTION_MANAGE)
    return classify.migrate(customer, shorten=body.shorten, reason=body.reason, actor=request.auth)


@router.post("/customers/{customer_id}/retention/runs", response={201: dict},
             summary="Retention run: apply the rules, then propose every message whose retention ended before "
                     "`as_of` and no legal hold covers (nothing is deleted)")
def run(request, customer_id: str, body: RunIn):
    customer = access.get_customer(request.auth, customer_id, Perm.RETENTION_MANAGE)
    return 201, runs.run(customer, as_of=runs.parse_as_of(body.as_of), created_by=request.auth.email)


@router.get("/customers/{customer_id}/retention/proposals", response=list[dict],
            summary="Deletion proposals, newest first")
def list_proposals(request, customer_id: str):
    customer = access.get_customer(request.auth, customer_id, Perm.RETENTION_VIEW)
    return [proposals.as_row(p) for p in proposals.open_proposals(customer)]


@router.post("/customers/{customer_id}/retention/proposals/{proposal_id}/approve", response=dict,
             summary="Approve as the signed-in user; when enough different people approved, the messages are "
                     "deleted (those held since the proposal are kept and counted as `held`)")
def approve_proposal(request, customer_id: str, proposal_id: str):
    customer = access.get_customer(request.auth, customer_id, Perm.RETENTION_MANAGE)
    return approve.approve(approve.get_proposal(customer, proposal_id), request.auth.email, actor=request.auth)


@router.post("/customers/{customer_id}/retention/proposals/{proposal_id}/reject", response=dict,
             summary="Reject an open deletion proposal as the signed-in user, with a reason; nothing is deleted")
def reject_proposal(request, customer_id: str, proposal_id: str, body: RejectIn):
    customer = access.get_customer(request.auth, customer_id, Perm.RETENTION_MANAGE)
    return approve.reject(approve.get_proposal(customer, proposal_id), request.auth.email, body.reason,
                          actor=request.auth)


@router.post("/customers/{customer_id}/retention/settings", response=dict,
            summary="How many different people must approve a deletion proposal (1, or 2 for four-eyes; max 5)")
def put_settings(request, customer_id: str, body: SettingsIn):
    customer = access.get_customer(request.auth, customer_id, Perm.RETENTION_MANAGE)
    return {"required_approvals": settings.set_required_approvals(customer, body.required_approvals,
                                                                   actor=request.auth)}


@router.get("/customers/{customer_id}/tombstones", response=list[dict],
            summary="What remains of deleted messages: archive id, SHA-256, class, when, approved by whom")
def list_tombstones(request, customer_id: str):
    customer = access.get_customer(request.auth, customer_id, Perm.RETENTION_VIEW)
    return [tombstones.as_row(t) for t in tombstones.list_for(customer)]
