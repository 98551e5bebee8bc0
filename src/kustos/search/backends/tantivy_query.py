"""Compile a query AST plus the permission filter into a tantivy Query."""

from __future__ import annotations

from datetime import datetime

import tantivy
from tantivy import Occur, Query

from kustos.search.backends.folders import expand, visible_mailbox_values
from kustos.search.backends.tantivy_schema import (
    ALL_TEXT_FIELDS,
    EXTRA_FIELD_NAMES,
    TEXT_FIELD_NAMES,
    clamp_date,
)
from kustos.search.query.ast import (
    And,
    DateRange,
    HasAttachment,
    Keyword,
    MatchAll,
    MatchNone,
    Node,
    Not,
    Or,
    SizeRange,
    Text,
)
from kustos.search.ranking import ranking_now, recency_cutoffs
from kustos.search.terms import fold, query_parts, query_stems
from kustos.search.types import SearchRequest

_REGEX_META = set(r"\.+*?()|[]{}^$#&-~")
#: Prefixes at least this long are expanded via the term dictionary (few terms expected).
MIN_EXPANDED_PREFIX = 4
#: Score weights: the word as written (folded) ranks above its stems, stems above compound parts.
STEM_BOOST = 0.5
PART_BOOST = 0.25


def regex_escape(value: str) -> str:
    """Escape ``value`` for Rust's regex syntax (only meta characters may be escaped)."""
    return "".join("\\" + ch if ch in _REGEX_META else ch for ch in value)


class TantivyCompiler:
    """Translates AST nodes for one schema; stateless apart from the schema and mailbox scope."""

    def __init__(
        self, schema: tantivy.Schema, allowed: list[str] | None, searcher: tantivy.Searcher | None = None
    ) -> None:
        self.schema = schema
        self.allowed = allowed
        self.searcher = searcher

    def compile(self, node: Node) -> Query:
        if isinstance(node, MatchAll):
            return Query.all_query()
        if isinstance(node, MatchNone):
            return Query.empty_query()
        if isinstance(node, Text):
            return self.text(node)
        if isinstance(node, Keyword):
            return self.keyword(node)
        if isinstance(node, HasAttachment):
            return Query.term_query(self.schema, "has_attachment", True)
        if isinstance(node, DateRange):
            return self.date_range(node.start, node.end)
        if isinstance(node, SizeRange):
            return Query.range_query(
                self.schema, "size", tantivy.FieldType.Unsigned, node.low, node.high, True, True
            )
        if isinstance(node, And):
            return self.conjunction(node.children)
        if isinstance(node, Or):
            return Query.boolean_query([(Occur.Should, self.compile(c)) for c in node.children])
        if isinstance(node, Not):
            return self.conjunction((node,))
        raise TypeError(f"unknown query node {node!r}")

    def conjunction(self, children: tuple[Node, ...]) -> Query:
        clauses = []
        for child in children:
            if isinstance(child, Not):
                clauses.append((Occur.MustNot, self.compile(child.child)))
            else:
                clauses.append((Occur.Must, self.compile(child)))
        if all(occur == Occur.MustNot for occur, _ in clauses):
            # A purely negative boolean query matches nothing in tantivy.
            clauses.append((Occur.Must, Query.all_query()))
        return Query.boolean_query(clauses)

    def text(self, node: Text) -> Query:
        fields = ALL_TEXT_FIELDS if node.field is None else (node.field,)
        per_field = [self.text_in(field, node) for field in fields]
        if len(per_field) == 1:
            return per_field[0]
        return Query.boolean_query([(Occur.Should, q) for q in per_field])

    def text_in(self, name: str, node: Text) -> Query:
        """``node`` in the query field ``name``: phrases and prefixes on the folded words;
        a single word also by its stems and as a compound part where those are indexed."""
        field = TEXT_FIELD_NAMES[name]
        words: list[str | tuple[int, str]] = [fold(t) for t in node.tokens]
        if len(words) > 1:
            if node.prefix:
                return Query.phrase_prefix_query(self.schema, field, words)
            return Query.phrase_query(self.schema, field, words)
        word = fold(node.tokens[0])
        if node.prefix:
            return self.prefix(field, word)
        exact = Query.term_query(self.schema, field, word)
        extra = EXTRA_FIELD_NAMES.get(name)
        if extra is None:
            return exact
        clauses = [(Occur.Should, exact)]
        for terms, boost in ((query_stems(word), STEM_BOOST), (query_parts(word), PART_BOOST)):
            if terms:
                clauses.append((Occur.Should, Query.boost_query(self.term_set(extra, terms), boost)))
        return Query.boolean_query(clauses) if len(clauses) > 1 else exact

    def term_set(self, field: str, terms: list[str]) -> Query:
        if len(terms) == 1:
            return Query.term_query(self.schema, field, terms[0])
        return Query.term_set_query(self.schema, field, terms)

    def prefix(self, field: str, prefix: str) -> Query:
        """Words starting with ``prefix``. Building a regex automaton costs ~0.5 ms per field,
        so prefixes long enough to be selective are expanded through the term dictionary."""
        terms = self.expand_prefix(field, prefix)
        if terms is None:
            return Query.regex_query(self.schema, field, regex_escape(prefix) + ".*")
        if not terms:
            return Query.empty_query()
        return Query.term_set_query(self.schema, field, terms)

    def expand_prefix(self, field: str, prefix: str) -> list[str] | None:
        """The indexed words of ``field`` starting with ``prefix``, or None when that list
        could be long (short prefix) or no searcher is at hand."""
        if self.searcher is None or len(prefix) < MIN_EXPANDED_PREFIX:
            return None
        return [term for term, _count in self.searcher.terms_with_prefix(field, prefix)]

    def keyword(self, node: Keyword) -> Query:
        if node.field == "mailbox":
            return self.keyword_values("mailbox", visible_mailbox_values(node.value, node.prefix, self.allowed),
                                       node.prefix and self.allowed is None)
        kind, values = expand(node.value, self.allowed)
        return self.keyword_values("folder_key" if kind == "full" else "folder_rel", values, node.prefix)

    def keyword_values(self, field: str, values: list[str], prefix: bool) -> Query:
        if not values:
            return Query.empty_query()
        if prefix:
            pattern = "|".join(regex_escape(v) for v in values)
            return Query.regex_query(self.schema, field, f"({pattern}).*")
        if len(values) == 1:
            return Query.term_query(self.schema, field, values[0])
        return Query.term_set_query(self.schema, field, values)

    def date_range(self, start: datetime | None, end: datetime | None) -> Query:
        if start is None and end is None:
            return Query.all_query()
        low = clamp_date(start) if start is not None else None
        high = clamp_date(end) if end is not None else None
        return Query.range_query(
            self.schema, "date", tantivy.FieldType.Date, low, high, True, high is None
        )


def filtered(schema: tantivy.Schema, request: SearchRequest, query: Query) -> Query:
    """``query`` AND the permission filter (customer, mailboxes, restricted, tax-relevant only)
    AND date filters.

    The filter clauses score 0 so they do not distort relevance.
    """
    compiler = TantivyCompiler(schema, request.mailbox_filter)
    filters: list[Query] = [Query.term_query(schema, "customer", request.customer)]
    allowed = request.mailbox_filter
    if allowed is not None:
        filters.append(Query.term_set_query(schema, "mailbox", allowed) if allowed else Query.empty_query())
    if request.date_from is not None or request.date_to is not None:
        filters.append(compiler.date_range(request.date_from, request.date_to))
    if request.tax_relevant_only:
        filters.append(Query.term_query(schema, "tax_relevant", True))
    clauses = [(Occur.Must, query)]
    clauses += [(Occur.Must, Query.const_score_query(f, 0.0)) for f in filters]
    if not request.include_restricted:
        clauses.append((Occur.MustNot, Query.term_query(schema, "restricted", True)))
    return Query.boolean_query(clauses)


def with_recency(schema: tantivy.Schema, query: Query, text: Query, now: datetime | None = None) -> Query:
    """``query`` (``text`` plus filters) scored for sort="best": one optional clause per recency
    step adds ``text``'s score times the step's extra factor for messages at least that new, so
    a hit scores its relevance times kustos.search.ranking.recency_factor (same matches, same count)."""
    compiler = TantivyCompiler(schema, None)
    clauses = [(Occur.Must, query)]
    for cutoff, extra in recency_cutoffs(now or ranking_now()):
        window = Query.boolean_query([
            (Occur.Must, text), (Occur.Must, Query.const_score_query(compiler.date_range(cutoff, None), 0.0)),
        ])
        clauses.append((Occur.Should, Query.boost_query(window, extra)))
    return Query.boolean_query(clauses)
