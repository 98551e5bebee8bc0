"""Retention rules (requirement 8): which mail falls into which class. Criteria: mailbox,
folder prefix, from address or @domain, search query; all given ones must match, none given
matches everything. Lower ``priority`` first; on a tie the longer retention wins. Every change
raises ``version``; messages record the rule and version that set their retention."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Count
from django.http import Http404

from kustos.archive.models import Message
from kustos.archive.services import tax_flags
from kustos.audit.services import record
from kustos.lifecycle.models import RetentionRule
from kustos.lifecycle.services.classes import RetentionError, get_class
from kustos.search.limits import MAX_QUERY_LENGTH
from kustos.tenants.models import Customer

FIELDS = ("mailbox", "folder", "from_addr", "query", "priority", "active", "tax_relevant")


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "mailbox" in values:
        out["mailbox"] = (values["mailbox"] or "").strip().lower()[:320]
    if "folder" in values:
        out["folder"] = (values["folder"] or "").strip().strip("/")[:1000]
    if "from_addr" in values:
        addr = (values["from_addr"] or "").strip().lower()
        if addr and "@" not in addr:
            raise RetentionError(f"--from must be an address or @domain, not {addr!r}")
        out["from_addr"] = addr[:320]
    if "query" in values:
        query = (values["query"] or "").strip()
        if len(query) > MAX_QUERY_LENGTH:
            raise RetentionError(f"the query is longer than {MAX_QUERY_LENGTH} characters")
        out["query"] = query
    if "priority" in values and values["priority"] is not None:
        try:
            out["priority"] = int(values["priority"])
        except (TypeError, ValueError):
            raise RetentionError(f"priority must be a whole number, not {values['priority']!r}") from None
    for flag in ("active", "tax_relevant"):
        if flag in values and values[flag] is not None:
            out[flag] = bool(values[flag])
    return out


def list_rules(customer: Customer) -> list[RetentionRule]:
    return list(RetentionRule.objects.filter(customer=customer).select_related("retention_class")
                .order_by("priority", "created_at"))


def get_rule(customer: Customer, rule_id: str) -> RetentionRule:
    rule = RetentionRule.objects.filter(customer=customer, id=rule_id).select_related("retention_class").first()
    if rule is None:
        raise Http404(f"no retention rule {rule_id!r} for this customer")
    return rule


def add(customer: Customer, class_name: str, *, actor: Any = None, **values: Any) -> RetentionRule:
    rc = get_class(customer, class_name)
    fields = _clean(values)
    rule = RetentionRule.objects.create(customer=customer, retention_class=rc, created_by=_who(actor), **fields)
    record("retention.rule.add", actor=actor, customer=customer, target=rule.id,
           detail={"class": rc.name, **{k: v for k, v in fields.items()}})
    return rule


def update(customer: Customer, rule_id: str, *, class_name: str | None = None, actor: Any = None,
           **values: Any) -> RetentionRule:
    """Change a rule; its version grows by one."""
    with transaction.atomic():
        rule = get_rule(customer, rule_id)
        fields = _clean(values)
        if class_name:
            rule.retention_class = get_class(customer, class_name)
        flag_before = (rule.retention_class_id, rule.tax_relevant)
        for key, value in fields.items():
            setattr(rule, key, value)
        rule.version += 1
        rule.save()
    if (rule.retention_class_id, rule.tax_relevant) != flag_before:
        tax_flags.retention_flag_changed(customer, rule_id=rule.id)  # requirement 15: search follows
    record("retention.rule.update", actor=actor, customer=customer, target=rule.id,
           detail={"version": rule.version, "class": rule.retention_class.name, **fields})
    return rule


def covered(customer: Customer) -> dict[str, int]:
    """Per rule id: how many messages it set the retention of."""
    rows = (Message.objects.filter(customer=customer).exclude(retention_rule="").values("retention_rule")
            .annotate(n=Count("id")))
    return {r["retention_rule"]: r["n"] for r in rows}


def as_row(rule: RetentionRule, counts: dict[str, int] | None = None) -> dict[str, Any]:
    return {"id": rule.id, "class": rule.retention_class.name, "years": rule.retention_class.years,
            "mailbox": rule.mailbox, "folder": rule.folder, "from": rule.from_addr, "query": rule.query,
            "priority": rule.priority, "version": rule.version, "active": rule.active,
            "tax_relevant": rule.tax_relevant, "messages": (counts or {}).get(rule.id, 0)}


def _who(actor: Any) -> str:
    return str(getattr(actor, "email", actor) or "")[:254]
