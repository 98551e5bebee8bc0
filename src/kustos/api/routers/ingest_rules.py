"""/api/v1 ingest rules (requirement 24): mail a customer does not archive (spam, newsletters,
a private folder) or archives with a short retention class.

Partner and customer admins manage (`lifecycle.retention.manage`), partner technicians read
(`lifecycle.retention.view`). Bad input answers 422 with a one-line problem detail.
"""

from __future__ import annotations

from ninja import Router, Schema, Status

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.lifecycle.services import ingest_rules

router = Router(tags=["ingest rules"])


class IngestRuleIn(Schema):
    """Missing values are refused by the service with a one-line problem (after the access check)."""

    name: str = ""
    field: str = ""  # sender | recipient | header | size | folder | query
    pattern: str = ""
    header: str = ""  # header name, for field "header"
    action: str = "exclude"  # exclude | short-retain
    retention_class: str = ""  # class name or id, for short-retain


@router.get("/customers/{customer_id}/ingest-rules", response=dict,
            summary="The customer's ingest rules with their match counters, and the suggested presets")
def list_rules(request, customer_id: str):
    customer = access.get_customer(request.auth, customer_id, Perm.RETENTION_VIEW)
    return {"rules": [ingest_rules.as_dict(r) for r in ingest_rules.list_rules(customer)],
            "presets": [{"key": k, "name": n, "field": f, "header": h, "pattern": p}
                        for k, n, f, h, p in ingest_rules.PRESETS]}


@router.post("/customers/{customer_id}/ingest-rules", response={201: dict},
             summary="Add an ingest rule (exclude, or short-retain with a retention class)")
def add_rule(request, customer_id: str, body: IngestRuleIn):
    customer = access.get_customer(request.auth, customer_id, Perm.RETENTION_MANAGE)
    rule = ingest_rules.add(customer, name=body.name, field=body.field, pattern=body.pattern,
                            header_name=body.header, action=body.action, retention_class=body.retention_class,
                            actor=request.auth)
    return Status(201, ingest_rules.as_dict(rule))


@router.delete("/customers/{customer_id}/ingest-rules/{rule_id}", response=dict, summary="Remove an ingest rule")
def remove_rule(request, customer_id: str, rule_id: str):
    customer = access.get_customer(request.auth, customer_id, Perm.RETENTION_MANAGE)
    return ingest_rules.remove(customer, rule_id, actor=request.auth)
