"""Does an arriving message match an ingest rule (requirement 24)?

Evaluated on the parsed message and its arrival (mailbox, folders, envelope) before anything is
stored. ``query`` rules use the archive search syntax: the query is parsed by
``kustos.search.query`` and its AST evaluated here against the message's own fields (words and
phrases in from/to/cc/bcc/subject/body/attachment, folder, mailbox, date, size, has:attachment).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kustos.archive.documents import addresses
from kustos.search.analysis import fold_keyword, tokenize
from kustos.search.query import ast
from kustos.search.query.parser import parse_query

GLOB = re.compile(r"[*?\[]")
_SIZE = re.compile(r"^\s*(\d+)\s*([kmg]?)b?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}


def parse_size(text: str) -> int | None:
    """Bytes from ``500000``, ``500k``, ``10MB``; None when it is not a size."""
    m = _SIZE.match(text or "")
    return int(m.group(1)) * _UNITS[m.group(2).lower()] if m else None


def address_matches(pattern: str, address: str) -> bool:
    """``@domain`` or ``domain`` (the address's domain), a glob, or the exact address."""
    pattern, address = pattern.strip().lower(), address.strip().lower()
    if not address:
        return False
    if GLOB.search(pattern):
        return fnmatch.fnmatchcase(address, pattern)
    if "@" not in pattern or pattern.startswith("@"):
        return address.rpartition("@")[2] == pattern.lstrip("@")
    return address == pattern


def text_matches(pattern: str, value: str) -> bool:
    """A glob (whole value), else a case-insensitive substring; ``*`` or empty = any value."""
    pattern, value = pattern.strip().lower(), value.strip().lower()
    if pattern in ("", "*"):
        return True
    if GLOB.search(pattern):
        return fnmatch.fnmatchcase(value, pattern)
    return pattern in value


@dataclass
class Arrival:
    """What a rule sees of one arriving message."""

    parsed: Any
    mailbox: str
    folders: list[str]
    envelope_from: str
    envelope_to: list[str]
    size: int

    def senders(self) -> list[str]:
        return addresses(getattr(self.parsed, "from_", [])) + ([self.envelope_from] if self.envelope_from else [])

    def recipients(self) -> list[str]:
        p = self.parsed
        return (addresses(getattr(p, "to", [])) + addresses(getattr(p, "cc", [])) + addresses(getattr(p, "bcc", []))
                + [a for a in self.envelope_to if a])

    def header_values(self, name: str) -> list[str]:
        name = name.strip().lower()
        return [v or "" for n, v in getattr(self.parsed, "headers", []) or [] if n.strip().lower() == name]


def matches(rule: Any, arrival: Arrival, query: ast.Node | None = None) -> bool:
    """``rule`` has ``field``, ``header_name`` and ``pattern`` (an IngestRule); ``query`` is the
    parsed query of a query rule (parsed once per batch by the caller)."""
    field, pattern = rule.field, rule.pattern
    if field == "sender":
        return any(address_matches(pattern, a) for a in arrival.senders())
    if field == "recipient":
        return any(address_matches(pattern, a) for a in arrival.recipients())
    if field == "header":
        return any(text_matches(pattern, v) for v in arrival.header_values(rule.header_name))
    if field == "size":
        limit = parse_size(pattern)
        return limit is not None and arrival.size > limit
    if field == "folder":
        return any(fnmatch.fnmatchcase(f.lower(), pattern.strip().lower()) for f in arrival.folders or [""])
    if field == "query":
        return evaluate(query if query is not None else parse_query(pattern), arrival)
    return False


# --- the query AST against one message ----------------------------------------------------------

def _field_texts(arrival: Arrival, field: str | None) -> Iterable[str]:
    p = arrival.parsed
    pairs = {"from": getattr(p, "from_", []), "to": getattr(p, "to", []), "cc": getattr(p, "cc", []),
             "bcc": getattr(p, "bcc", [])}
    if field in pairs:
        return [f"{n} {a}" for n, a in (pairs[field] or [])]
    if field == "subject":
        return [getattr(p, "subject", "") or ""]
    if field == "body":
        return [getattr(p, "body_text", "") or ""]
    if field == "attachment":
        return [f"{getattr(a, 'filename', '') or ''} {getattr(a, 'text', '') or ''}"
                for a in getattr(p, "attachments", []) or []]
    return [t for name in ast.TEXT_FIELDS for t in _field_texts(arrival, name)]


def _has_sequence(words: list[str], tokens: tuple[str, ...], prefix: bool) -> bool:
    n = len(tokens)
    for i in range(len(words) - n + 1):
        head_ok = all(words[i + k] == tokens[k] for k in range(n - 1))
        last = words[i + n - 1]
        if head_ok and (last.startswith(tokens[-1]) if prefix else last == tokens[-1]):
            return True
    return False


def evaluate(node: ast.Node, arrival: Arrival) -> bool:
    """The search query's meaning for one message (what a search would find after archiving)."""
    if isinstance(node, ast.MatchAll):
        return True
    if isinstance(node, ast.MatchNone):
        return False
    if isinstance(node, ast.Text):
        return any(_has_sequence(tokenize(text), node.tokens, node.prefix) for text in _field_texts(arrival, node.field))
    if isinstance(node, ast.Keyword):
        want = fold_keyword(node.value)
        mailbox = fold_keyword(arrival.mailbox)
        if node.field == "mailbox":
            values = [mailbox]
        else:
            paths = [fold_keyword(f) for f in arrival.folders or [""]]
            values = paths + [f"{mailbox}/{p}" if p else mailbox for p in paths]
        return any(v.startswith(want) if node.prefix else v == want for v in values)
    if isinstance(node, ast.HasAttachment):
        return bool(getattr(arrival.parsed, "has_attachment", getattr(arrival.parsed, "attachments", [])))
    if isinstance(node, ast.DateRange):
        when = getattr(arrival.parsed, "date", None)
        return when is not None and (node.start is None or when >= node.start) and (node.end is None or when < node.end)
    if isinstance(node, ast.SizeRange):
        return (node.low is None or arrival.size >= node.low) and (node.high is None or arrival.size <= node.high)
    if isinstance(node, ast.And):
        return all(evaluate(c, arrival) for c in node.children)
    if isinstance(node, ast.Or):
        return any(evaluate(c, arrival) for c in node.children)
    if isinstance(node, ast.Not):
        return not evaluate(node.child, arrival)
    raise ValueError(f"unsupported query element {type(node).__name__}")
