"""The default ranking ("best"): text relevance boosted by recency, the same on every backend.

A hit's score is its text relevance (BM25 in tantivy, ``ts_rank_cd`` in PostgreSQL) times a
recency factor that falls in steps with the message's age: 2.0 for the last 30 days, 1.75 up to
90 days, 1.5 up to a year, 1.2 up to three years, 1.0 beyond. Of two equally relevant messages the
newer ranks first; a message at least twice as relevant as another ranks above it whatever their
dates. Steps (not a smooth curve) let tantivy compute the factor inside the index query (one
boosted clause per step); PostgreSQL uses the same table as a CASE expression. A query without
text terms (only filters, ``*``) has no relevance: its hits come newest first. Equal scores
(the same relevance in the same step) list the newer message first on both backends.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kustos.search.query.ast import Node, positive_texts

#: (maximum age in days, factor) from the newest step down; older messages get factor 1.0.
RECENCY_STEPS: tuple[tuple[int, float], ...] = ((30, 2.0), (90, 1.75), (365, 1.5), (3 * 365, 1.2))
#: Sort orders a request may name; "best" is the default.
SORTS = ("best", "relevance", "date")


def ranking_now() -> datetime:
    """The "now" recency is measured from: the start of the current UTC day, so the order of a
    result (and so its paging) does not change between two requests of the same day."""
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def recency_factor(date: datetime, now: datetime) -> float:
    """The factor the "best" ranking gives a message of ``date`` searched at ``now``."""
    age = now - date
    for days, factor in RECENCY_STEPS:
        if age <= timedelta(days=days):
            return factor
    return 1.0


def recency_cutoffs(now: datetime) -> list[tuple[datetime, float]]:
    """(cutoff date, extra factor) per step, oldest step first: a message dated at or after a
    cutoff gets the extra factor on top of 1.0 and of every older step's extra factor."""
    steps = sorted(RECENCY_STEPS, key=lambda s: -s[0])
    out = []
    below = 1.0
    for days, factor in steps:
        out.append((now - timedelta(days=days), factor - below))
        below = factor
    return out


def ranks_by_text(ast: Node) -> bool:
    """Whether the query has text terms to rank by (else newest first)."""
    return bool(positive_texts(ast))


def effective_sort(sort: str, ast: Node) -> str:
    """The order a request is answered in: "date" when there is no text to rank by."""
    if sort in ("best", "relevance") and not ranks_by_text(ast):
        return "date"
    return sort
