"""One Graph delta round: pages from a stored link to the deltaLink, resynchronised once.

Every Graph delta workload (mail folders, drives, list items, calendars, contacts, To Do lists,
channel messages) walks the same way: follow ``@odata.nextLink`` until a page carries the
``@odata.deltaLink``; when the stored state has expired (410, SyncStateNotFound,
resyncRequired) start again from the beginning once, and mark every page from then on as a
reset so the caller's sink re-enumerates.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from kustos.sources.base import ConnectorError
from kustos.sources.graph.errors import SyncStateLost


class JsonGetter(Protocol):
    """What a delta round needs of a client: :class:`~kustos.sources.http.HttpClient` or the
    redirect-following wrapper of archive reads."""

    def get_json(self, url: str, *, key: str | None = None, headers: Mapping[str, str] | None = None) -> Any: ...

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeltaPage:
    rows: list[Mapping[str, Any]]
    link: str  # where the round continues: the nextLink, or the deltaLink on the last page
    last: bool
    reset: bool  # the stored state had expired: this round started again from the beginning


def delta_round(http: JsonGetter, link: str, start: str, *, key: str, page_size: int, what: str,
                where: str) -> Iterator[DeltaPage]:
    """Pages of one round from ``link`` (``start`` after an expired state). ``what`` names the
    collection in the error when a fresh round is refused too; ``where`` names it in the log
    (no folder or file names: only ids)."""
    reset = False
    while True:
        try:
            page = http.get_json(link, key=key, headers={"Prefer": f"odata.maxpagesize={page_size}"})
        except SyncStateLost:
            if reset:
                raise ConnectorError(f"Microsoft Graph refused a fresh delta round for {what}") from None
            log.warning("delta state of %s expired; resynchronising", where)
            link, reset = start, True
            continue
        next_link = page.get("@odata.nextLink")
        link = str(next_link or page["@odata.deltaLink"])
        yield DeltaPage(list(page.get("value", [])), link, not next_link, reset)
        if not next_link:
            return
