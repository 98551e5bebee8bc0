"""The ingest-rules step (requirement 24): after parse, before classify.

For every new message the customer's first matching active rule decides: ``exclude`` sets
``Work.excluded`` to the rule id (store, record and index skip it; the ingest counts it in
``BatchResult.excluded``/``excluded_by`` and the ingest audit event), ``short_retain`` sets
``Work.retention_class_id`` (ClassifyStep applies that class). Matches grow the rule's counter.
"""

from __future__ import annotations

from typing import Any

from kustos.archive.pipeline.contract import BatchContext, Work
from kustos.lifecycle.models import IngestRule
from kustos.lifecycle.services import ingest_rules
from kustos.lifecycle.services.ingest_rules_match import Arrival, matches
from kustos.search.query.parser import parse_query


class IngestRulesStep:
    name = "ingest_rules"

    def _rules(self, ctx: BatchContext) -> list[tuple[Any, Any]]:
        if "ingest_rules" not in ctx.cache:
            compiled = []
            for r in IngestRule.objects.filter(customer=ctx.customer, active=True).order_by("created_at", "id"):
                try:
                    compiled.append((r, parse_query(r.pattern) if r.field == "query" else None))
                except ValueError:  # checked at creation; a query the parser no longer takes never aborts ingest
                    continue
            ctx.cache["ingest_rules"] = compiled
        rules: list[tuple[Any, Any]] = ctx.cache["ingest_rules"]
        return rules

    def run(self, batch: list[Work], ctx: BatchContext) -> None:
        rules = self._rules(ctx)
        if not rules:
            return
        counts: dict[str, int] = {}
        for w in batch:
            if w.existing is not None or w.excluded:
                continue
            arrival = Arrival(parsed=w.parsed, mailbox=w.item.mailbox, folders=list(w.item.folders or []),
                              envelope_from=w.item.envelope_from, envelope_to=list(w.item.envelope_to or []),
                              size=len(w.item.raw))
            rule = next((r for r, query in rules if matches(r, arrival, query)), None)
            if rule is None:
                continue
            counts[rule.id] = counts.get(rule.id, 0) + 1
            if rule.action == IngestRule.Action.EXCLUDE:
                w.excluded = rule.id
            else:
                w.retention_class_id = rule.retention_class_id or ""
        ingest_rules.count_matches(counts)
