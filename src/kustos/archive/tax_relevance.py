"""Which messages are tax-relevant (requirement 15): the one answer, used by the search
documents (``documents.build_documents``) and the visibility check (``services.messages.visible``).

A message is tax-relevant when it is flagged itself, when any folder it was archived in is
flagged, or when the retention class or rule that classified it is flagged. Reads only rows.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q

from kustos.archive.models import Message
from kustos.lifecycle.models import RetentionClass, RetentionRule


def effective_q(customer_id: str) -> Q:
    """The filter of the customer's tax-relevant messages (own flag, folder, class or rule)."""
    classes = RetentionClass.objects.filter(customer_id=customer_id, tax_relevant=True)
    class_keys = [*classes.values_list("name", flat=True), *classes.values_list("id", flat=True)]
    rules = list(RetentionRule.objects.filter(customer_id=customer_id, tax_relevant=True).values_list("id", flat=True))
    q = Q(tax_relevant=True) | Q(refs__folder__tax_relevant=True)
    if class_keys:
        q |= Q(retention_class__in=class_keys)
    if rules:
        q |= Q(retention_rule__in=rules)
    return q


def effective_ids(messages: Iterable[Message]) -> set[str]:
    """The ids among ``messages`` (of any customers) that are tax-relevant."""
    by_customer: dict[str, list[str]] = {}
    out: set[str] = set()
    for msg in messages:
        if msg.tax_relevant:
            out.add(msg.id)
        else:
            by_customer.setdefault(msg.customer_id, []).append(msg.id)
    for customer_id, ids in by_customer.items():
        for start in range(0, len(ids), 1000):
            chunk = ids[start:start + 1000]
            out.update(Message.objects.filter(id__in=chunk).filter(effective_q(customer_id))
                       .values_list("id", flat=True).distinct())
    return out


def is_tax_relevant(message: Message) -> bool:
    return bool(effective_ids([message]))
