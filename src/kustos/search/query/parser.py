"""Recursive-descent parser: query text -> AST (kustos.search.query.ast).

Grammar (precedence NOT > AND > OR; juxtaposition means AND)::

    query   := or? EOF
    or      := and (OR and)*
    and     := unary (AND? unary)*
    unary   := (NOT | "-") unary | primary
    primary := "(" or ")" | field ":(" or ")" | WORD | PHRASE

``field:(a OR b)`` applies the field to every bare word inside. Unknown ``xyz:`` prefixes
are searched as ordinary words (so "Re: hello" or URLs still work); known fields with bad
values raise QuerySyntaxError.
"""

from __future__ import annotations

from collections.abc import Callable

from kustos.search import limits
from kustos.search.analysis import fold_keyword, tokenize
from kustos.search.query.ast import (
    TEXT_FIELDS,
    And,
    HasAttachment,
    Keyword,
    MatchAll,
    MatchNone,
    Node,
    Not,
    Or,
    Text,
    TextField,
)
from kustos.search.query.errors import QuerySyntaxError
from kustos.search.query.lexer import Token, tokenize_query
from kustos.search.query.values import parse_after, parse_before, parse_date, parse_size

_RANGE_FIELDS: dict[str, Callable[[str, int], Node]] = {
    "date": parse_date,
    "before": parse_before,
    "after": parse_after,
    "size": parse_size,
}
_KNOWN = {*TEXT_FIELDS, "has", "folder", "mailbox", *_RANGE_FIELDS}

#: Placeholder for words that analyse to nothing ("!!!"); removed by simplification.
_EMPTY = None
Maybe = Node | None


def parse_query(text: str) -> Node:
    """Parse ``text``; raises QuerySyntaxError(message, position) for malformed input.

    The empty query and ``*`` match everything; a query whose words all analyse away
    (only punctuation) matches nothing. Queries beyond the bounds of ``search.limits``
    (length, terms, nesting, wildcards) raise LimitExceeded, a QuerySyntaxError.
    """
    limits.check_query_text(text)
    tokens = tokenize_query(text)
    if not tokens:
        return MatchAll()
    limits.check_tokens(len(tokens), tokens[min(len(tokens), limits.MAX_TOKENS + 1) - 1].position)
    parser = _Parser(tokens, len(text))
    node = parser.parse()
    return MatchNone() if node is None else node


class _Parser:
    def __init__(self, tokens: list[Token], length: int) -> None:
        self.tokens = tokens
        self.i = 0
        self.length = length
        self.depth = 0
        self.wildcards = 0

    # -- token helpers ------------------------------------------------------
    def peek(self) -> Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def end_position(self) -> int:
        return self.length

    # -- grammar ------------------------------------------------------------
    def parse(self) -> Maybe:
        node = self.parse_or(None)
        extra = self.peek()
        if extra is not None:
            raise QuerySyntaxError(f"unexpected {extra.value!r}", extra.position)
        return node

    def parse_or(self, field: str | None) -> Maybe:
        parts = [self.parse_and(field)]
        while (token := self.peek()) is not None and token.kind == "OR":
            self.take()
            parts.append(self.parse_and(field))
        return _combine(Or, parts)

    def parse_and(self, field: str | None) -> Maybe:
        parts = [self.parse_unary(field)]
        while (token := self.peek()) is not None and token.kind not in ("OR", "RPAREN"):
            if token.kind == "AND":
                self.take()
            parts.append(self.parse_unary(field))
        return _combine(And, parts)

    def parse_unary(self, field: str | None) -> Maybe:
        token = self.peek()
        if token is None:
            raise QuerySyntaxError("query ends where a search term was expected", self.end_position())
        if token.kind == "NOT":
            self.take()
            self.depth += 1
            limits.check_depth(self.depth, token.position)
            child = self.parse_unary(field)
            self.depth -= 1
            return _negate(child)
        return self.parse_primary(field)

    def parse_primary(self, field: str | None) -> Maybe:
        token = self.take()
        if token.kind == "LPAREN":
            return self.parse_group(token, field)
        if token.kind == "GROUP":
            if token.value not in _KNOWN:
                raise QuerySyntaxError(f"unknown field {token.value + ':'!r}", token.position)
            if token.value in _RANGE_FIELDS or token.value == "has":
                raise QuerySyntaxError(f"{token.value}: cannot be applied to a group", token.position)
            return self.parse_group(self.take(), token.value)
        if token.kind in ("WORD", "PHRASE"):
            return self.bounded(_leaf(token, field), token)
        what = "')'" if token.kind == "RPAREN" else repr(token.value)
        raise QuerySyntaxError(f"unexpected {what} where a search term was expected", token.position)

    def parse_group(self, opening: Token, field: str | None) -> Maybe:
        token = self.peek()
        if token is not None and token.kind == "RPAREN":
            raise QuerySyntaxError("empty parentheses", opening.position)
        self.depth += 1
        limits.check_depth(self.depth, opening.position)
        node = self.parse_or(field)
        self.depth -= 1
        closing = self.peek()
        if closing is None or closing.kind != "RPAREN":
            raise QuerySyntaxError("missing ')'", opening.position)
        self.take()
        return node

    def bounded(self, node: Maybe, token: Token) -> Maybe:
        """``node`` after checking its wildcard against the limits (prefix length, count)."""
        if isinstance(node, Text) and node.prefix:
            self.wildcards += 1
            limits.check_wildcard(node.tokens[-1], self.wildcards, token.position)
        elif isinstance(node, Keyword) and node.prefix:
            self.wildcards += 1
            limits.check_wildcard(node.value.rsplit("/", 1)[-1] if node.field == "folder" and "/" in node.value
                                  else node.value, self.wildcards, token.position)
        return node


def _leaf(token: Token, context: str | None) -> Maybe:
    field = token.field if token.field is not None else context
    value = token.value
    quoted = token.kind == "PHRASE"
    if token.field is not None and token.field not in _KNOWN:
        # Not a field we know: search the whole source text as words.
        return _text(None, token.raw, quoted=False)
    if field is None:
        if value == "*" and not quoted:
            return MatchAll()
        return _text(None, value, quoted)
    if not value.strip():
        raise QuerySyntaxError(f"{field}: needs a value", token.position)
    value_position = token.position + (len(field) + 1 if token.field is not None else 0)
    if field in _RANGE_FIELDS:
        return _RANGE_FIELDS[field](value.strip(), value_position)
    if field == "has":
        if value.lower() in ("attachment", "attachments", "anhang"):
            return HasAttachment()
        raise QuerySyntaxError(f"unknown has:{value} (only has:attachment)", value_position)
    if field in ("folder", "mailbox"):
        prefix = value.endswith("*") and not quoted
        folded = fold_keyword(value.rstrip("*") if prefix else value).strip("/")
        if not folded:
            raise QuerySyntaxError(f"{field}: needs a value", value_position)
        return Keyword("folder" if field == "folder" else "mailbox", folded, prefix)
    return _text(_text_field(field), value, quoted)


def _text_field(name: str) -> TextField:
    for field in TEXT_FIELDS:
        if field == name:
            return field
    raise AssertionError(name)  # unreachable: callers pass known text fields


def _text(field: TextField | None, value: str, quoted: bool) -> Maybe:
    prefix = value.rstrip().endswith("*")  # also in quotes: "quarterly rep*" is a phrase prefix
    tokens = tuple(tokenize(value))
    if not tokens:
        return _EMPTY
    return Text(field, tokens, prefix)


def _negate(child: Maybe) -> Maybe:
    if child is None:
        return None
    if isinstance(child, MatchAll):
        return MatchNone()
    if isinstance(child, MatchNone):
        return MatchAll()
    if isinstance(child, Not):
        return child.child
    return Not(child)


def _combine(kind: type[And] | type[Or], parts: list[Maybe]) -> Maybe:
    """Build And/Or, dropping empty words and folding MatchAll/MatchNone."""
    kept: list[Node] = []
    for part in parts:
        if part is None:
            continue
        if isinstance(part, kind):
            kept.extend(part.children)
        else:
            kept.append(part)
    if kind is And:
        if any(isinstance(p, MatchNone) for p in kept):
            return MatchNone()
        kept = [p for p in kept if not isinstance(p, MatchAll)] or ([MatchAll()] if kept else [])
    else:
        if any(isinstance(p, MatchAll) for p in kept):
            return MatchAll()
        kept = [p for p in kept if not isinstance(p, MatchNone)] or ([MatchNone()] if kept else [])
    if not kept:
        return None
    if len(kept) == 1:
        return kept[0]
    return kind(tuple(kept))
