"""Compile a query AST plus the permission filter into a SQL WHERE clause (psycopg params)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kustos.search.backends.folders import expand, visible_mailbox_values
from kustos.search.backends.postgres_schema import TABLE
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
    positive_texts,
)
from kustos.search.terms import STEMMED_FIELDS, fold, query_parts, query_stems
from kustos.search.types import SearchRequest

_FIELD_COLUMNS: dict[str | None, str] = {None: "tsv_all", **{f: f"tsv_{f}" for f in ("from", "to", "cc", "bcc", "subject", "body", "attachment")}}
_PER_FIELD = [c for f, c in _FIELD_COLUMNS.items() if f is not None]


def lexeme(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def tsquery(node: Text, stemmed: bool = False) -> str:
    """tsquery text for a Text node: a term, a prefix (``:*``) or a phrase (``<->``) of
    folded words; a single word also as its stems and compound part when ``stemmed``
    (the vectors of other fields hold none, so tsv_all may be asked for them too)."""
    parts = [lexeme(fold(t)) for t in node.tokens]
    if node.prefix:
        parts[-1] += ":*"
    elif stemmed and len(parts) == 1:
        word = fold(node.tokens[0])
        parts += [lexeme(t) for t in (*query_stems(word), *query_parts(word))]
        return "(" + " | ".join(parts) + ")" if len(parts) > 1 else parts[0]
    return " <-> ".join(parts)


def all_words(node: Text) -> str:
    """tsquery text requiring every word of ``node`` anywhere (GIN-exact, no positions)."""
    parts = [lexeme(fold(t)) for t in node.tokens]
    if node.prefix:
        parts[-1] += ":*"
    return " & ".join(parts)


def like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class PostgresCompiler:
    """Accumulates SQL and parameters; ``compile`` returns a boolean SQL expression."""

    def __init__(self, customer: str, allowed: list[str] | None) -> None:
        self.customer = customer
        self.allowed = allowed
        self.params: list[Any] = []

    def p(self, value: Any) -> str:
        self.params.append(value)
        return "%s"

    def compile(self, node: Node) -> str:
        if isinstance(node, MatchAll):
            return "TRUE"
        if isinstance(node, MatchNone):
            return "FALSE"
        if isinstance(node, Text):
            return self.text(node)
        if isinstance(node, Keyword):
            return self.keyword(node)
        if isinstance(node, HasAttachment):
            return "has_attachment"
        if isinstance(node, DateRange):
            return self.date_range(node.start, node.end)
        if isinstance(node, SizeRange):
            parts = []
            if node.low is not None:
                parts.append(f"size >= {self.p(node.low)}")
            if node.high is not None:
                parts.append(f"size <= {self.p(node.high)}")
            return "(" + " AND ".join(parts or ["TRUE"]) + ")"
        if isinstance(node, And):
            return "(" + " AND ".join(self.compile(c) for c in node.children) + ")"
        if isinstance(node, Or):
            return "(" + " OR ".join(self.compile(c) for c in node.children) + ")"
        if isinstance(node, Not):
            if has_text(node.child):
                # Evaluating "NOT tsv @@ q" row by row de-toasts every candidate's vector;
                # an anti-join on the ids the GIN index finds for q is far cheaper.
                inner = f"customer = {self.p(self.customer)} AND {self.compile(node.child)}"
                return f"(id NOT IN (SELECT id FROM {TABLE} WHERE {inner}))"
            return f"(NOT {self.compile(node.child)})"
        raise TypeError(f"unknown query node {node!r}")

    def text(self, node: Text) -> str:
        query = tsquery(node, stemmed=node.field is None or node.field in STEMMED_FIELDS)
        if len(node.tokens) == 1:
            condition = f"tsv_all @@ {self.p(query)}::tsquery"
            if node.field is None:
                return condition
            return f"({condition} AND {_FIELD_COLUMNS[node.field]} @@ {self.p(query)}::tsquery)"
        # Phrases: GIN answers "all words present" exactly; only those candidates get the
        # positional check, on the field's own vector (tsv_all would also let a phrase
        # span two fields, and it is the largest vector to de-toast).
        condition = f"tsv_all @@ {self.p(all_words(node))}::tsquery"
        columns = _PER_FIELD if node.field is None else [_FIELD_COLUMNS[node.field]]
        phrase = " OR ".join(f"{c} @@ {self.p(query)}::tsquery" for c in columns)
        return f"({condition} AND ({phrase}))"

    def keyword(self, node: Keyword) -> str:
        if node.field == "mailbox":
            return self.array_match("mailboxes", visible_mailbox_values(node.value, node.prefix, self.allowed),
                                    node.prefix and self.allowed is None)
        kind, values = expand(node.value, self.allowed)
        return self.array_match("folder_keys" if kind == "full" else "folder_rels", values, node.prefix)

    def array_match(self, column: str, values: list[str], prefix: bool) -> str:
        if not values:
            return "FALSE"
        if not prefix:
            return f"{column} && {self.p(values)}::text[]"
        likes = " OR ".join(f"v LIKE {self.p(like_escape(v) + '%')}" for v in values)
        return f"EXISTS (SELECT 1 FROM unnest({column}) AS v WHERE {likes})"

    def date_range(self, start: datetime | None, end: datetime | None) -> str:
        parts = []
        if start is not None:
            parts.append(f"date >= {self.p(start)}")
        if end is not None:
            parts.append(f"date < {self.p(end)}")
        return "(" + " AND ".join(parts or ["TRUE"]) + ")"


def where(request: SearchRequest, ast: Node) -> tuple[str, list[Any]]:
    """The WHERE expression (query AND permission filter AND date filter) and its params."""
    compiler = PostgresCompiler(request.customer, request.mailbox_filter)
    parts = [f"customer = {compiler.p(request.customer)}"]
    allowed = request.mailbox_filter
    if allowed is not None:
        parts.append(f"mailboxes && {compiler.p(allowed)}::text[]" if allowed else "FALSE")
    if not request.include_restricted:
        parts.append("NOT restricted")
    if request.tax_relevant_only:
        parts.append("tax_relevant")
    if request.date_from is not None or request.date_to is not None:
        parts.append(compiler.date_range(request.date_from, request.date_to))
    parts.append(compiler.compile(ast))
    return " AND ".join(parts), compiler.params


def has_text(node: Node) -> bool:
    """Whether full-text conditions occur anywhere in ``node``."""
    if isinstance(node, Text):
        return True
    if isinstance(node, And | Or):
        return any(has_text(c) for c in node.children)
    if isinstance(node, Not):
        return has_text(node.child)
    return False


def rank_query(ast: Node) -> str | None:
    """tsquery text OR-ing every positive word (for ranking and headlines), or None."""
    texts = positive_texts(ast)
    if not texts:
        return None
    return " | ".join(f"({tsquery(t, stemmed=t.field is None or t.field in STEMMED_FIELDS)})" for t in texts)
