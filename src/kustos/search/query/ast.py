"""The query AST produced by ``parse_query`` and compiled by each backend.

Text is already analysed here (``tokens`` are lower-case index tokens), so backends only
translate structure. Nodes are immutable and hashable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypeAlias

#: Text fields a term may be restricted to; None in Text.field means "any text field".
TextField = Literal["from", "to", "cc", "bcc", "subject", "body", "attachment"]
TEXT_FIELDS: tuple[TextField, ...] = ("from", "to", "cc", "bcc", "subject", "body", "attachment")

KeywordField = Literal["folder", "mailbox"]


@dataclass(frozen=True)
class MatchAll:
    """Every document (the empty query or ``*``)."""


@dataclass(frozen=True)
class MatchNone:
    """No document (a query whose words all analysed away, e.g. ``!!!``)."""


@dataclass(frozen=True)
class Text:
    """Words in a text field. One token = a term; several = a phrase (adjacent, in order).

    ``prefix`` means the last token is a prefix (``invoi*``).
    """

    field: TextField | None
    tokens: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True)
class Keyword:
    """Exact (folded) match on a keyword field; ``prefix`` = starts-with match.

    For ``folder`` the value is either a full path (``alice@x.de/inbox``) or a path
    relative to the mailbox (``inbox/sub``); backends match both forms.
    """

    field: KeywordField
    value: str
    prefix: bool = False


@dataclass(frozen=True)
class HasAttachment:
    """Messages with at least one attachment."""


@dataclass(frozen=True)
class DateRange:
    """``start <= date < end``; None = unbounded. Both aware datetimes (UTC)."""

    start: datetime | None
    end: datetime | None


@dataclass(frozen=True)
class SizeRange:
    """``low <= size <= high`` in bytes; None = unbounded."""

    low: int | None
    high: int | None


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    child: Node


Node: TypeAlias = MatchAll | MatchNone | Text | Keyword | HasAttachment | DateRange | SizeRange | And | Or | Not
Query: TypeAlias = Node


def positive_texts(node: Node) -> list[Text]:
    """Text nodes that count towards a match (not under a Not): used for ranking/snippets."""
    if isinstance(node, Text):
        return [node]
    if isinstance(node, And | Or):
        return [t for child in node.children for t in positive_texts(child)]
    return []
