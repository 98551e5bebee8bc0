"""Every message of a customer that matches an archive search query, for legal holds and
data-subject requests: the installation's scope (every mailbox, restricted messages included),
all pages, however many hits.

One search window can page through at most ``MAX_OFFSET + MAX_LIMIT`` hits
(``search.limits``); a window with more is split in two by date until each part fits.
"Everything" (an empty query or ``*``) is answered from the database directly.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError

from kustos.archive.models import Message
from kustos.core import runtime
from kustos.search import InvalidRequest, QuerySyntaxError, SearchRequest
from kustos.search.limits import MAX_LIMIT, MAX_OFFSET

#: Hits one date window can page through.
REACH = MAX_OFFSET + MAX_LIMIT
#: The whole range of dates the index files messages under (``search.document.index_date`` clamps to it).
FIRST = datetime(1678, 1, 1, tzinfo=UTC)
LAST = datetime(2262, 1, 1, tzinfo=UTC)
#: A window this short is never split further (it would hold more than REACH identical dates).
SHORTEST = timedelta(seconds=1)


#: Ids per ``IN (...)`` clause (SQLite allows 32766 variables per statement).
CHUNK = 5000


def chunks(ids: Iterable[str], size: int | None = None) -> Iterator[list[str]]:
    """``ids`` in lists of at most ``size`` (default CHUNK; for ``id__in`` lookups)."""
    size = size or CHUNK
    batch: list[str] = []
    for value in ids:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def is_everything(query: str) -> bool:
    return query.strip() in ("", "*")


def clean_mailboxes(mailboxes: list[str] | tuple[str, ...] | None) -> list[str]:
    """Lower-case, de-duplicated addresses; a value without ``@`` is refused."""
    boxes = sorted({m.strip().lower() for m in (mailboxes or []) if m and m.strip()})
    for box in boxes:
        if "@" not in box:
            raise ValidationError(f"mailbox {box!r} is not an e-mail address")
    return boxes


def matching_ids(customer_id: str, query: str, mailboxes: list[str] | None = None, *,
                 window: tuple[datetime, datetime] | None = None) -> list[str]:
    """Archive ids of every message of the customer matching ``query`` in ``mailboxes``
    (None or empty = every mailbox), restricted messages included; an invalid query raises
    ValidationError naming the problem. ``window`` (``from <= date < to``, the date the index
    files a message under) narrows the search, e.g. to the dates of just archived mail."""
    boxes = clean_mailboxes(mailboxes)
    if is_everything(query):
        qs = Message.objects.filter(customer_id=customer_id)
        if boxes:
            qs = qs.filter(refs__mailbox__address__in=boxes)
        return list(qs.order_by("seq").values_list("id", flat=True).distinct())
    try:
        return _search_all(customer_id, query.strip(), boxes or None, window or (FIRST, LAST))
    except (QuerySyntaxError, InvalidRequest) as exc:
        raise ValidationError(f"invalid search query: {exc}") from exc


def _request(customer_id: str, query: str, boxes: list[str] | None, lo: datetime, hi: datetime, *,
             limit: int, offset: int = 0) -> SearchRequest:
    return SearchRequest(query=query, customer=customer_id, allowed_mailboxes=boxes, include_restricted=True,
                         limit=limit, offset=offset, date_from=lo, date_to=hi)


def _search_all(customer_id: str, query: str, boxes: list[str] | None,
                window: tuple[datetime, datetime]) -> list[str]:
    index = runtime.search_index()
    seen: dict[str, None] = {}
    windows = [window]
    while windows:
        lo, hi = windows.pop()
        total = index.search(_request(customer_id, query, boxes, lo, hi, limit=1)).total
        if total > REACH:
            if hi - lo <= SHORTEST:  # never silently incomplete: a hold must cover every hit
                raise ValidationError(f"more than {REACH} matching messages carry the same date "
                                      f"({lo:%Y-%m-%d %H:%M:%S} UTC); narrow the query")
            mid = lo + (hi - lo) / 2
            windows += [(mid, hi), (lo, mid)]
            continue
        for offset in range(0, min(total, REACH), MAX_LIMIT):
            page = index.search(_request(customer_id, query, boxes, lo, hi, limit=MAX_LIMIT, offset=offset))
            seen.update((h.id, None) for h in page.hits)
    return list(seen)
