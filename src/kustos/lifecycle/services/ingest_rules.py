"""Ingest rules of a customer (requirement 24): keep spam, newsletters or private mail out of
the archive ("exclude"), or archive it with a short retention class ("short_retain").

Rules match by sender, recipient, a header, size, source folder or an archive search query
(``ingest_rules_match``); the first active rule (oldest first) that matches decides. They are
applied to new messages in the ingest pipeline (``archive/pipeline/ingest_rules.py``); an
excluded message is counted in the batch result and the ingest audit event per rule, and the
rule's ``matched`` counter grows. Creating and removing a rule is audited.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http import Http404

from kustos.audit.services import record
from kustos.lifecycle.models import IngestRule
from kustos.lifecycle.services import classes
from kustos.lifecycle.services.ingest_rules_match import parse_size
from kustos.search.query.errors import QuerySyntaxError
from kustos.search.query.parser import parse_query
from kustos.tenants.models import Customer

FIELDS = tuple(IngestRule.Field.values)
ACTIONS = tuple(IngestRule.Action.values)

#: Offered in the dashboard with one click: (key, label, field, header name, pattern).
PRESETS = (
    ("spam", "Spam (X-Spam-Flag)", "header", "X-Spam-Flag", "yes"),
    ("newsletters", "Newsletters (List-Unsubscribe)", "header", "List-Unsubscribe", "*"),
    ("private", "Private folder", "folder", "", "Private*"),
)


class IngestRuleError(ValidationError):
    """Bad input for an ingest rule (one line naming the problem)."""

    def __str__(self) -> str:
        return "; ".join(self.messages)


def _action(action: str) -> str:
    value = (action or "exclude").strip().lower().replace("-", "_")
    if value not in ACTIONS:
        raise IngestRuleError(f"action must be one of exclude, short-retain, not {action!r}")
    return value


def validate(field: str, pattern: str, header_name: str = "") -> tuple[str, str, str]:
    """(field, pattern, header name), checked; raises :class:`IngestRuleError` naming the problem."""
    field = (field or "").strip().lower()
    pattern = (pattern or "").strip()
    header_name = (header_name or "").strip()
    if field not in FIELDS:
        raise IngestRuleError(f"field must be one of {', '.join(FIELDS)}, not {field!r}")
    if field == "header":
        if not header_name or any(c in header_name for c in " :\t\r\n"):
            raise IngestRuleError("a header rule needs a header name (e.g. X-Spam-Flag) without spaces or colon")
        pattern = pattern or "*"  # the header is present
    elif header_name:
        raise IngestRuleError("a header name is only used by header rules")
    if not pattern:
        raise IngestRuleError(f"a {field} rule needs a pattern")
    if len(pattern) > 1000:
        raise IngestRuleError("the pattern is longer than 1000 characters")
    if field == "size" and parse_size(pattern) is None:
        raise IngestRuleError(f"a size rule needs a number of bytes (e.g. 10000000 or 10MB), not {pattern!r}")
    if field == "query":
        try:
            parse_query(pattern)
        except (QuerySyntaxError, ValueError) as exc:
            raise IngestRuleError(f"the query cannot be used: {exc}") from None
    return field, pattern, header_name


def list_rules(customer: Customer) -> list[IngestRule]:
    return list(IngestRule.objects.filter(customer=customer).select_related("retention_class")
                .order_by("created_at", "id"))


def get_rule(customer: Customer, rule_id: str) -> IngestRule:
    found = IngestRule.objects.filter(customer=customer, id=rule_id).select_related("retention_class").first()
    if found is None:
        raise Http404(f"no ingest rule {rule_id!r} for this customer")
    return found


def add(customer: Customer, *, name: str, field: str, pattern: str, header_name: str = "",
        action: str = "exclude", retention_class: str = "", actor: Any = None) -> IngestRule:
    name = (name or "").strip()
    if not name:
        raise IngestRuleError("an ingest rule needs a name")
    if len(name) > 120:
        raise IngestRuleError("the name is longer than 120 characters")
    field, pattern, header_name = validate(field, pattern, header_name)
    action = _action(action)
    rc = None
    if action == IngestRule.Action.SHORT_RETAIN:
        if not (retention_class or "").strip():
            raise IngestRuleError("short-retain needs a retention class (--class NAME)")
        rc = classes.get_class(customer, retention_class.strip())
    elif (retention_class or "").strip():
        raise IngestRuleError("a retention class is only used with the action short-retain")
    who = getattr(actor, "email", None) or (actor if isinstance(actor, str) else "")
    with transaction.atomic():
        rule = IngestRule.objects.create(customer=customer, name=name, field=field, header_name=header_name,
                                         pattern=pattern, action=action, retention_class=rc, created_by=who or "")
        record("ingest_rule.create", actor=actor, customer=customer, target=rule.id,
               detail={"name": name, "field": field, "header": header_name, "pattern": pattern, "action": action,
                       "class": rc.name if rc else None})
    return rule


def remove(customer: Customer, rule_id: str, *, actor: Any = None) -> dict[str, Any]:
    rule = get_rule(customer, rule_id)
    with transaction.atomic():
        detail = {"name": rule.name, "field": rule.field, "pattern": rule.pattern, "action": rule.action,
                  "matched": rule.matched}
        rule.delete()
        record("ingest_rule.remove", actor=actor, customer=customer, target=rule_id, detail=detail)
    return {"id": rule_id, "removed": True}


def count_matches(counts: dict[str, int]) -> None:
    """Add a batch's matches to the rules' counters."""
    for rule_id, n in counts.items():
        IngestRule.objects.filter(id=rule_id).update(matched=F("matched") + n)


def as_dict(rule: IngestRule) -> dict[str, Any]:
    return {"id": rule.id, "name": rule.name, "field": rule.field, "header": rule.header_name,
            "pattern": rule.pattern, "action": rule.action.replace("_", "-"),
            "class": rule.retention_class.name if rule.retention_class_id else None, "active": rule.active,
            "matched": rule.matched, "created": rule.created_at.isoformat(), "created_by": rule.created_by}
