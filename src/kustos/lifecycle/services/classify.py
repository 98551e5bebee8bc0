"""Which retention rule and class apply to a message, and its retention end (requirements 8–10).

At ingest (:class:`Classifier`, called by the pipeline's ``ClassifyStep``) the mailbox, folder
and from-address rules decide the class; query rules need the search index and are applied
afterwards by :func:`apply`. Unclassified mail keeps the longest period (10 years).

:func:`apply` (``kustos retention apply``, run at the start of every retention run) only ever
EXTENDS a message's ``retention_end`` (requirement 10); a rule that would shorten it is
reported as ``would_shorten`` and only :func:`migrate` (explicit, with a reason, audited)
shortens. The pack group of a message (``retention_year``) is never changed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import transaction

from kustos.accounts.access import Visibility
from kustos.archive import retention
from kustos.archive.documents import addresses
from kustos.archive.models import Message, MessageRef
from kustos.archive.services import tax_flags
from kustos.archive.services.export import matching_ids
from kustos.audit.services import record
from kustos.lifecycle.models import RetentionClass, RetentionRule
from kustos.lifecycle.services.classes import RetentionError
from kustos.tenants.models import Customer

FOREVER = 10_000  # sorts "keep forever" after every finite period


def _years_key(years: int | None) -> int:
    return FOREVER if years is None else years


def _folder_match(prefix: str, path: str) -> bool:
    if not prefix:
        return True
    path = path.strip("/")
    return path == prefix or path.startswith(prefix + "/")


def _from_match(pattern: str, sender: str) -> bool:
    if not pattern:
        return True
    sender = (sender or "").lower()
    return sender.endswith(pattern) if pattern.startswith("@") else sender == pattern


def arrival_matches(rule: RetentionRule, mailbox: str, folders: Iterable[str], sender: str) -> bool:
    """Does a rule without a query match one arrival (mailbox + its folders + From)?"""
    if rule.mailbox and rule.mailbox != (mailbox or "").strip().lower():
        return False
    if rule.folder and not any(_folder_match(rule.folder, f) for f in (list(folders) or [""])):
        return False
    return _from_match(rule.from_addr, sender)


@dataclass
class Stamp:
    """What classification decided for one message."""

    years: int | None = retention.LONGEST_YEARS
    retention_class: str = ""
    rule: str = ""
    version: int | None = None

    def fields(self) -> dict[str, Any]:
        return {"retention_class": self.retention_class, "retention_rule": self.rule,
                "retention_rule_version": self.version}


UNCLASSIFIED = Stamp()


@dataclass
class Classifier:
    """The active rules of one customer, in decision order (priority, then longer period)."""

    rules: list[RetentionRule] = field(default_factory=list)

    @classmethod
    def for_customer(cls, customer: Customer) -> Classifier:
        rules = list(RetentionRule.objects.filter(customer=customer, active=True).select_related("retention_class"))
        rules.sort(key=lambda r: (r.priority, -_years_key(r.retention_class.years), r.created_at))
        return cls(rules)

    @staticmethod
    def stamp(rule: RetentionRule | None) -> Stamp:
        if rule is None:
            return UNCLASSIFIED
        return Stamp(rule.retention_class.years, rule.retention_class.name, rule.id, rule.version)

    def at_ingest(self, mailbox: str, folders: Iterable[str], sender: str, when: datetime | None,
                  *, now: datetime | None = None) -> tuple[int | None, Stamp]:
        """(pack group year, stamp) for a new arrival; query rules are left to :func:`apply`."""
        folders = list(folders)
        rule = next((r for r in self.rules if not r.query and arrival_matches(r, mailbox, folders, sender)), None)
        stamp = self.stamp(rule)
        if stamp.years is None:
            return None, stamp
        return retention.expiry_year(when, stamp.years, now=now), stamp


def at_ingest(classifier: Classifier, work: Any, customer: Customer) -> None:
    """Set a new arrival's pack-group year and remember its stamp (``ClassifyStep``): an ingest
    rule's short-retention class (``work.retention_class_id``) wins, else the rules."""
    parsed = work.parsed
    when = getattr(parsed, "date", None)
    if getattr(work, "retention_class_id", ""):
        rc = RetentionClass.objects.filter(customer=customer, id=work.retention_class_id).first()
        if rc is not None:
            stamp = Stamp(rc.years, rc.name, "", None)
            work.retention_year = None if rc.years is None else retention.expiry_year(when, rc.years)
            work.retention_fields = stamp.fields()
            return
    senders = addresses(getattr(parsed, "from_", []))
    year, stamp = classifier.at_ingest(work.item.mailbox, work.item.folders or [""], senders[0] if senders else "",
                                       when)
    work.retention_year = year
    work.retention_fields = stamp.fields()


def stamp_row(msg: Message, work: Any) -> None:
    """Copy the class, rule and rule version :func:`at_ingest` decided onto the new row."""
    for key, value in getattr(work, "retention_fields", {}).items():
        setattr(msg, key, value)


Decision = tuple[Stamp, date | None, date | None, tuple[str, str, int | None]]


def decide(customer: Customer, classifier: Classifier | None = None) -> dict[str, Decision]:
    """For every message a rule matches: (stamp, end the rule gives, current end, current stamp)."""
    classifier = classifier or Classifier.for_customer(customer)
    if not classifier.rules:
        return {}
    refs: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for mid, box, path in MessageRef.objects.filter(message__customer=customer).values_list(
            "message_id", "mailbox__address", "folder__path").iterator():
        refs[mid].append((box, path))
    query_hits: dict[str, set[str]] = {}
    for rule in classifier.rules:
        if rule.query:
            query_hits[rule.id] = set(matching_ids(customer, rule.query, Visibility()))
    out: dict[str, Decision] = {}
    rows = Message.objects.filter(customer=customer).values_list(
        "id", "from_addr", "date", "archived_at", "retention_end", "retention_class", "retention_rule",
        "retention_rule_version")
    for mid, sender, when, archived, end, cls, rule_id, version in rows.iterator():
        arrivals = refs.get(mid, [])
        for rule in classifier.rules:
            if rule.query and mid not in query_hits[rule.id]:
                continue
            if any(arrival_matches(rule, box, [path], sender) for box, path in arrivals or [("", "")]):
                stamp = classifier.stamp(rule)
                out[mid] = (stamp, retention.end_for(when or archived, stamp.years), end, (cls, rule_id, version))
                break
    return out


def _plan(customer: Customer) -> tuple[list[tuple[str, Stamp, date | None]], list[tuple[str, Stamp, date | None]],
                                       list[tuple[str, Stamp]]]:
    """(extend, shorten, restamp): messages whose end grows, would shrink, or stays with a new stamp."""
    extend, shorten, restamp = [], [], []
    for mid, (stamp, end, old, old_stamp) in decide(customer).items():
        if retention.later(old, end):
            extend.append((mid, stamp, end))
        elif old == end:
            if old_stamp != (stamp.retention_class, stamp.rule, stamp.version):
                restamp.append((mid, stamp))
        else:
            shorten.append((mid, stamp, end))
    return extend, shorten, restamp


def _write(customer: Customer, rows: Iterable[tuple[str, Stamp, date | None]]) -> int:
    n = 0
    with transaction.atomic():
        for mid, stamp, end in rows:
            n += Message.objects.filter(customer=customer, id=mid).update(retention_end=end, indexed=False,
                                                                          **stamp.fields())
    return n


def _restamp(customer: Customer, rows: Iterable[tuple[str, Stamp]]) -> None:
    with transaction.atomic():
        for mid, stamp in rows:
            Message.objects.filter(customer=customer, id=mid).update(indexed=False, **stamp.fields())


def _reindex(customer: Customer) -> None:
    """A new class or rule can change a message's effective tax-relevant flag (requirement 15):
    the search documents of the messages just (re)classified are rewritten."""
    tax_flags.reindex_pending_if_free(customer)


def apply(customer: Customer, *, actor: Any = None) -> dict[str, int]:
    """Extend retention ends to what the rules say; never shorten (requirement 10)."""
    extend, shorten, restamp = _plan(customer)
    extended = _write(customer, extend)
    _restamp(customer, restamp)
    _reindex(customer)
    result = {"extended": extended, "restamped": len(restamp), "would_shorten": len(shorten)}
    record("retention.apply", actor=actor or "system", customer=customer, target=customer.id, detail=result)
    return result


def migrate(customer: Customer, *, shorten: bool, reason: str, actor: Any = None) -> dict[str, int]:
    """The explicit migration: with ``shorten`` also shortens to what the rules say (audited)."""
    reason = (reason or "").strip()
    if not shorten:
        raise RetentionError("migrate only shortens with --shorten (apply extends without it)")
    if len(reason) < 5:
        raise RetentionError("give --reason TEXT (at least 5 characters) for shortening retention")
    extend, short, restamp = _plan(customer)
    extended = _write(customer, extend)
    shortened = _write(customer, short)
    _restamp(customer, restamp)
    _reindex(customer)
    result = {"extended": extended, "shortened": shortened, "restamped": len(restamp)}
    record("retention.migrate", actor=actor or "system", customer=customer, target=customer.id,
           detail={**result, "reason": reason[:300], "messages": [m for m, _, _ in short][:1000]})
    return result
