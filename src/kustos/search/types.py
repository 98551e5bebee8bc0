"""Search requests and results, shared by every backend."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from kustos.search.limits import InvalidRequest as InvalidRequest
from kustos.search.limits import check_paging

#: "best": text relevance times a recency factor (kustos.search.ranking), the default;
#: "relevance": text relevance only; "date": newest first. Without text terms every order is "date".
#: A request's default is "date" (callers paging through every match); the search page, API and
#: CLI default to "best".
SortOrder = Literal["best", "date", "relevance"]


@dataclass(frozen=True)
class SearchRequest:
    """One search in one customer.

    ``allowed_mailboxes`` None means every mailbox of the customer (an administrator);
    a list restricts hits to messages in at least one of those mailboxes (an end user).
    An empty list matches nothing. Restricted (GDPR) documents are only returned with
    ``include_restricted=True``. ``date_from``/``date_to`` filter ``date_from <= date <
    date_to`` in addition to the query; ``tax_relevant_only`` keeps documents flagged
    tax-relevant (auditors). The permission filter is part of the index query.
    ``limit``/``offset`` are bounded by ``search.limits``.
    """

    query: str
    customer: str
    allowed_mailboxes: list[str] | None = None
    include_restricted: bool = False
    sort: SortOrder = "date"
    limit: int = 20
    offset: int = 0
    facets: bool = False
    date_from: datetime | None = None
    date_to: datetime | None = None
    tax_relevant_only: bool = False

    def validate(self) -> None:
        if not self.customer:
            raise InvalidRequest("customer is empty")
        if self.sort not in ("best", "date", "relevance"):
            raise InvalidRequest(f"sort must be 'best', 'relevance' or 'date', not {self.sort!r}")
        problem = check_paging(self.limit, self.offset)
        if problem is not None:
            raise InvalidRequest(problem)
        for name in ("date_from", "date_to"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise InvalidRequest(f"{name} must be timezone-aware")

    @property
    def mailbox_filter(self) -> list[str] | None:
        """Folded allowed mailboxes (None = all)."""
        if self.allowed_mailboxes is None:
            return None
        return sorted({m.strip().lower() for m in self.allowed_mailboxes if m.strip()})


@dataclass
class Hit:
    """One result. ``mailboxes``/``folders`` only list those the requester may see.

    ``snippet`` is HTML: text is escaped, matches are wrapped in ``<mark>…</mark>``.
    ``score`` is the relevance score for sort="relevance", relevance times the recency factor for
    sort="best", 0.0 for sort="date" (and for queries without text terms).
    """

    id: str
    score: float
    date: datetime
    snippet: str
    subject: str = ""
    from_: str = ""
    size: int = 0
    has_attachment: bool = False
    mailboxes: list[str] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)
    restricted: bool = False  # only ever True with include_restricted=True


#: The most frequent values kept per facet (computed by index aggregations, never by loading
#: documents). Folders and mailboxes are filtered by permission afterwards, so ask for plenty.
FACET_LIMITS = {"folder": 1000, "mailbox": 1000, "year": 200, "sender_domain": 100}


@dataclass
class Facets:
    """Counts over ALL matching documents (not only the page), each bounded to its most frequent
    values (``FACET_LIMITS``). ``mailbox`` lists only mailboxes the requester may see;
    ``has_attachment`` counts the matches with attachments (the others: total minus it)."""

    folder: dict[str, int] = field(default_factory=dict)
    year: dict[int, int] = field(default_factory=dict)
    sender_domain: dict[str, int] = field(default_factory=dict)
    mailbox: dict[str, int] = field(default_factory=dict)
    has_attachment: int = 0


@dataclass
class SearchResult:
    """``took_ms``: the search's wall time, set by whoever timed it (0.0 when nobody did)."""

    total: int
    hits: list[Hit]
    facets: Facets | None = None
    took_ms: float = 0.0


def visible_mailboxes(mailboxes: list[str], allowed: list[str] | None) -> list[str]:
    """The subset of ``mailboxes`` a requester limited to ``allowed`` may see."""
    if allowed is None:
        return list(mailboxes)
    allowed_set = set(allowed)
    return [m for m in mailboxes if m.lower() in allowed_set]


def visible_folders(folders: list[str], allowed: list[str] | None) -> list[str]:
    """The folders (``mailbox/path``) belonging to mailboxes the requester may see."""
    if allowed is None:
        return list(folders)
    allowed_set = set(allowed)
    return [f for f in folders if f.split("/", 1)[0].lower() in allowed_set]
