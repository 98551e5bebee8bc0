"""Every bound on a search request, in one place.

One request must never make the server allocate or recurse without limit: tantivy and
PostgreSQL collect ``offset + limit`` hits before they return a page, a deeply nested query
recurses once per parenthesis, and a wildcard expands over the term dictionary. The parser
(``query.parser``), ``SearchRequest.validate`` and the callers that turn user input into a
request (dashboard page numbers) all check against these numbers, and each violation raises
an error whose message names the bound.
"""

from __future__ import annotations

from kustos.search.query.errors import QuerySyntaxError

#: Hits per request (one page; exports page through results in steps of at most this).
MAX_LIMIT = 1000
#: How deep into a result list one may page (offset of the first hit).
MAX_OFFSET = 10_000
#: Characters of query text.
MAX_QUERY_LENGTH = 2000
#: Lexical tokens (words, phrases, operators, parentheses) in one query.
MAX_TOKENS = 200
#: Nesting depth of parentheses and NOT chains.
MAX_DEPTH = 20
#: Wildcard (``prefix*``) terms in one query; each expands over the term dictionary.
MAX_WILDCARDS = 10
#: Characters a wildcard prefix needs before the ``*`` (``a*`` would match most words).
MIN_WILDCARD_PREFIX = 2
#: Largest byte count a ``size:`` value may name (1 TiB; mail is far smaller).
MAX_SIZE_BYTES = 1024**4
#: Digits a ``size:`` number may have (before any unit).
MAX_SIZE_DIGITS = 13


class LimitExceeded(QuerySyntaxError):
    """The query text exceeds one of the bounds above (reported like a syntax error)."""


class InvalidRequest(ValueError):
    """A SearchRequest (or its paging input) violates its contract; the message says which part."""


def check_query_text(text: str) -> None:
    if len(text) > MAX_QUERY_LENGTH:
        raise LimitExceeded(f"query too long: {len(text)} characters (at most {MAX_QUERY_LENGTH})", MAX_QUERY_LENGTH)
    if "\x00" in text:  # no mail text holds it, and PostgreSQL refuses it in any text value
        raise LimitExceeded("query contains a NUL character", text.index("\x00"))


def check_tokens(count: int, position: int) -> None:
    if count > MAX_TOKENS:
        raise LimitExceeded(f"query has too many terms and operators (at most {MAX_TOKENS})", position)


def check_depth(depth: int, position: int) -> None:
    if depth > MAX_DEPTH:
        raise LimitExceeded(f"query nested too deeply (at most {MAX_DEPTH} levels of parentheses or NOT)", position)


def check_wildcard(prefix: str, count: int, position: int) -> None:
    """``prefix`` is the text before ``*``; ``count`` the wildcards seen so far including this one."""
    if len(prefix) < MIN_WILDCARD_PREFIX:
        raise LimitExceeded(f"wildcard needs at least {MIN_WILDCARD_PREFIX} characters before '*'", position)
    if count > MAX_WILDCARDS:
        raise LimitExceeded(f"too many wildcards (at most {MAX_WILDCARDS} per query)", position)


def check_size(amount: int, value: str, position: int) -> None:
    if amount > MAX_SIZE_BYTES:
        raise LimitExceeded(f"size {value!r} is too large (at most 1TB)", position)


def check_paging(limit: int, offset: int) -> str | None:
    """The problem with ``limit``/``offset`` as one line, or None when both are in bounds."""
    if not 0 <= limit <= MAX_LIMIT:
        return f"limit must be between 0 and {MAX_LIMIT}"
    if offset < 0:
        return "offset must not be negative"
    if offset > MAX_OFFSET:
        return f"offset must be at most {MAX_OFFSET} (narrow the search instead of paging further)"
    return None


def parse_paging(limit: str | int, offset: str | int) -> tuple[int, int]:
    """``limit`` and ``offset`` from user input (text or numbers), checked against the bounds;
    raises InvalidRequest with a one-line reason."""
    values = []
    for name, raw in (("limit", limit), ("offset", offset)):
        text = str(raw).strip()
        digits = text[1:] if text.startswith("-") else text
        if not digits.isascii() or not digits.isdigit():
            raise InvalidRequest(f"{name} must be a whole number (got {text[:20]!r})")
        # Never convert thousands of digits: any number this long is out of bounds anyway.
        number = int(digits) if len(digits) <= 12 else 10**12
        values.append(-number if text.startswith("-") else number)
    problem = check_paging(values[0], values[1])
    if problem is not None:
        raise InvalidRequest(problem)
    return values[0], values[1]


def max_page(page_size: int) -> int:
    """The last page number (1-based) a page size allows within MAX_OFFSET."""
    return MAX_OFFSET // page_size + 1


def parse_page(raw: str, page_size: int) -> int:
    """A 1-based page number from user input; raises ValueError with a one-line reason."""
    text = (raw or "").strip() or "1"
    last = max_page(page_size)
    if not text.isdigit() or len(text) > 9 or not 1 <= int(text) <= last:
        raise ValueError(f"page must be a number between 1 and {last}")
    return int(text)
