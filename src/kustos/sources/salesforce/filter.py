"""A small, safe filter language over records (the ``--where`` of sandbox seeding), parsed, never
evaluated as code.

Grammar (keywords case-insensitive, like SOQL)::

    expr       := and_expr ("OR" and_expr)*
    and_expr   := not_expr ("AND" not_expr)*
    not_expr   := "NOT" not_expr | "(" expr ")" | comparison
    comparison := FIELD ("=" | "!=" | "<>" | "<" | "<=" | ">" | ">=") value
                | FIELD ["NOT"] "LIKE" STRING
                | FIELD ["NOT"] "IN" "(" value ("," value)* ")"
    value      := 'string' (\\' escapes a quote) | number | date (2024-01-31) | dateTime
                  (2024-01-31T10:00:00Z) | TRUE | FALSE | NULL

Text compares case-insensitively (as SOQL does); ``LIKE`` knows ``%`` (any run) and ``_`` (one
character); ``<``/``>`` compare numbers with numbers and dates/dateTimes with dates/dateTimes (a
record value that is neither never matches). ``parse(text)`` raises ``FilterError`` naming the
problem and its position; the result is a predicate over a record (a dict).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

Predicate = Callable[[Mapping[str, Any]], bool]
MAX_LENGTH = 4000
MAX_DEPTH = 32


class FilterError(ValueError):
    pass


_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?)
  | (?P<date>\d{4}-\d{2}-\d{2})
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<punct>[(),])
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
""", re.X)
KEYWORDS = {"AND", "OR", "NOT", "LIKE", "IN", "TRUE", "FALSE", "NULL"}


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    at: int

    @property
    def keyword(self) -> str:
        return self.text.upper() if self.kind == "word" and self.text.upper() in KEYWORDS else ""


def tokens(text: str) -> list[Token]:
    out, at = [], 0
    while at < len(text):
        found = _TOKEN.match(text, at)
        if found is None:
            raise FilterError(f"unexpected character {text[at]!r} at position {at + 1}")
        kind = found.lastgroup or ""
        if kind != "ws":
            out.append(Token(kind, found.group(), at))
        at = found.end()
    return out


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if not isinstance(value, str) or not re.match(r"^\d{4}-\d{2}-\d{2}", value):
        return None
    text = value.replace("Z", "+00:00")
    if len(text) >= 5 and text[-5] in "+-" and text[-3] != ":" and "T" in text:
        text = text[:-2] + ":" + text[-2:]
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None


def _equal(value: Any, wanted: Any) -> bool:
    if wanted is None or value is None:
        return value is None and wanted is None
    if isinstance(wanted, bool) or isinstance(value, bool):
        return value is wanted if isinstance(value, bool) else str(value).lower() == str(wanted).lower()
    if isinstance(wanted, float):
        return _number(value) == wanted
    if isinstance(wanted, datetime):
        return _moment(value) == wanted
    return str(value).lower() == str(wanted).lower()


def _order(value: Any, wanted: Any) -> tuple[Any, Any] | None:
    if isinstance(wanted, float):
        number = _number(value)
        return None if number is None else (number, wanted)
    if isinstance(wanted, datetime):
        moment = _moment(value)
        return None if moment is None else (moment, wanted)
    return None


def _like(pattern: str) -> re.Pattern[str]:
    parts = ["%" if c == "%" else "_" if c == "_" else re.escape(c) for c in pattern]
    return re.compile("^" + "".join(".*" if p == "%" else "." if p == "_" else p for p in parts) + "$",
                      re.I | re.S)


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


def _any(parts: tuple[Predicate, ...]) -> Predicate:
    return lambda record: any(p(record) for p in parts)


def _all(parts: tuple[Predicate, ...]) -> Predicate:
    return lambda record: all(p(record) for p in parts)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokens(text)
        self.at = 0
        self.fields: set[str] = set()
        self.depth = 0

    def peek(self) -> Token | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def next_is(self, text: str) -> bool:
        """Whether the next token is this keyword or punctuation."""
        token = self.peek()
        return token is not None and (token.keyword or token.text) == text

    def where(self) -> str:
        token = self.peek()
        return f"at position {token.at + 1} ({token.text!r})" if token else "at the end"

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise FilterError("the filter ends too early")
        self.at += 1
        return token

    def expect(self, text: str) -> None:
        token = self.peek()
        if token is None or (token.keyword or token.text) != text:
            raise FilterError(f"expected {text} {self.where()}")
        self.at += 1

    def parse(self) -> Predicate:
        if not self.tokens:
            raise FilterError("the filter is empty")
        predicate = self.expr()
        extra = self.peek()
        if extra is not None:
            raise FilterError(f"unexpected {extra.text!r} at position {extra.at + 1}")
        return predicate

    def expr(self) -> Predicate:
        parts = [self.and_expr()]
        while self.next_is("OR"):
            self.at += 1
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else _any(tuple(parts))

    def and_expr(self) -> Predicate:
        parts = [self.not_expr()]
        while self.next_is("AND"):
            self.at += 1
            parts.append(self.not_expr())
        return parts[0] if len(parts) == 1 else _all(tuple(parts))

    def not_expr(self) -> Predicate:
        token = self.peek()
        if token is not None and token.keyword == "NOT":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise FilterError(f"the filter nests NOT deeper than {MAX_DEPTH}")
            self.at += 1
            inner = self.not_expr()
            self.depth -= 1
            return lambda r: not inner(r)
        if token is not None and token.text == "(":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise FilterError(f"the filter nests parentheses deeper than {MAX_DEPTH}")
            self.at += 1
            inner = self.expr()
            self.expect(")")
            self.depth -= 1
            return inner
        return self.comparison()

    def value(self) -> Any:
        token = self.take()
        if token.kind == "string":
            return re.sub(r"\\(.)", r"\1", token.text[1:-1])
        if token.kind == "number":
            return float(token.text)
        if token.kind in ("date", "datetime"):
            moment = _moment(token.text)
            if moment is None:
                raise FilterError(f"{token.text!r} at position {token.at + 1} is not a valid date")
            return moment
        if token.keyword in ("TRUE", "FALSE"):
            return token.keyword == "TRUE"
        if token.keyword == "NULL":
            return None
        raise FilterError(f"expected a value (a 'quoted' text, number, date, TRUE, FALSE or NULL) at position "
                          f"{token.at + 1} ({token.text!r})")

    def comparison(self) -> Predicate:
        token = self.take()
        if token.kind != "word" or token.keyword:
            raise FilterError(f"expected a field name at position {token.at + 1} ({token.text!r})")
        field = token.text
        self.fields.add(field)
        negate = False
        if self.next_is("NOT"):
            self.at += 1
            negate = True
        op = self.take()
        if op.keyword == "LIKE":
            pattern = self.value()
            if not isinstance(pattern, str):
                raise FilterError(f"LIKE needs a 'quoted' pattern ({field})")
            compiled = _like(pattern)
            test: Predicate = lambda r: isinstance(r.get(field), str) and bool(compiled.match(r[field]))  # noqa: E731
        elif op.keyword == "IN":
            self.expect("(")
            values = [self.value()]
            while self.next_is(","):
                self.at += 1
                values.append(self.value())
            self.expect(")")
            test = lambda r: any(_equal(r.get(field), v) for v in values)  # noqa: E731
        elif op.kind == "op" and not negate:
            wanted = self.value()
            if op.text in ("=", "!=", "<>"):
                same = op.text == "="
                test = lambda r: _equal(r.get(field), wanted) == same  # noqa: E731
            else:
                if not isinstance(wanted, (float, datetime)):
                    raise FilterError(f"{op.text} compares numbers or dates, not {wanted!r} ({field})")
                compare = _COMPARE[op.text]

                def test(r: Mapping[str, Any]) -> bool:
                    pair = _order(r.get(field), wanted)
                    return pair is not None and compare(*pair)
        else:
            raise FilterError(f"expected an operator (=, !=, <, <=, >, >=, LIKE, IN) at position {op.at + 1} "
                              f"({op.text!r})")
        return (lambda r: not test(r)) if negate else test


def parse(text: str) -> Predicate:
    """The predicate of a filter, or FilterError naming the problem."""
    if len(text) > MAX_LENGTH:
        raise FilterError(f"the filter is longer than {MAX_LENGTH} characters")
    return _Parser(text).parse()


def fields(text: str) -> set[str]:
    """The field names a filter uses."""
    parser = _Parser(text)
    parser.parse()
    return parser.fields
