"""SharePoint backup: every site and subsite with its document libraries, lists and site pages.

Scope: a site (``kind="site"``), found by ``/sites?search=*`` and, below each, ``/sites/{id}/sites``
(recursively). Per site:

* document libraries (``/sites/{id}/drives``) through the OneDrive delta code: kind ``folder`` /
  ``file`` with ``folder`` prefixed by the library name (``Documents/Reports``) and
  ``meta["library"]``;
* lists (not libraries): ``/lists/{id}/items/delta?expand=fields``, kind ``listitem``, ``folder`` =
  the list's display name, ``data`` = the listItem as canonical JSON (``fields`` included);
* site pages (no delta in Graph): ``/sites/{id}/pages`` listed each round and compared by eTag;
  kind ``page``, ``folder`` ``SitePages``, ``data`` = the sitePage with ``canvasLayout``.

Cursor: ``{"drives": {drive id: OneDrive cursor}, "lists": {list id: delta link},
"pages": {page id: eTag}}``; every batch carries the whole cursor as far as it got.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any, ClassVar
from urllib.parse import quote

from kustos.sources.base import Batch, Cursor, Item, Scope
from kustos.sources.graph.backup.onedrive import OneDriveService
from kustos.sources.graph.backup.pim import canonical
from kustos.sources.graph.backup.session import GraphSession
from kustos.sources.graph.delta import delta_round
from kustos.sources.http import iter_link_pages

log = logging.getLogger(__name__)
ITEM_META = ("id", "eTag", "createdDateTime", "lastModifiedDateTime", "createdBy", "lastModifiedBy", "webUrl")


class SharePointService:
    """The ``sharepoint`` backup service of a Microsoft 365 connection."""

    name: ClassVar[str] = "sharepoint"
    scope_kind: ClassVar[str] = "site"

    def __init__(self, session: GraphSession, page_size: int = 200) -> None:
        self.session = session
        self.http = session.http
        self.page_size = page_size
        self.drives = OneDriveService(session, page_size=page_size)

    def _site_url(self, site_id: str, path: str = "") -> str:
        return f"{self.session.base}/sites/{quote(site_id, safe='')}{path}"

    def _list(self, key: str, url: str) -> Iterator[Mapping[str, Any]]:
        for page in iter_link_pages(lambda link: self.http.get_json(link, key=key), url):
            yield from page.get("value", [])

    # --- scopes -------------------------------------------------------------------------
    def scopes(self) -> Iterator[Scope]:
        """Every site the search finds, and every subsite below each (each once)."""
        seen: set[str] = set()
        stack = list(self._list("sites", f"{self.session.base}/sites?search=*"))
        stack.reverse()
        while stack:
            site = stack.pop()
            site_id = str(site["id"])
            if site_id in seen:
                continue
            seen.add(site_id)
            yield Scope(id=site_id, kind=self.scope_kind, name=str(site.get("webUrl") or site_id),
                        meta={"displayName": site.get("displayName"), "webUrl": site.get("webUrl")})
            below = list(self._list(site_id, self._site_url(site_id, "/sites")))
            stack.extend(reversed(below))

    def check(self, scope: Scope) -> None:
        self.http.get_json(self._site_url(scope.id, "/lists"), key=scope.id)

    # --- fetch --------------------------------------------------------------------------
    def fetch(self, scope: Scope, cursor: Cursor | None) -> Iterator[Batch]:
        state: dict[str, dict[str, Any]] = {part: dict((cursor or {}).get(part) or {})
                                            for part in ("drives", "lists", "pages")}
        yielded = False
        for batch in self._libraries(scope, state):
            yielded = True
            yield batch
        for batch in self._lists(scope, state):
            yielded = True
            yield batch
        pages = self._pages(scope, state)
        if pages.items or not yielded:
            yield pages

    def _snapshot(self, state: dict[str, dict[str, Any]]) -> Cursor:
        return {part: dict(values) for part, values in state.items()}

    def _libraries(self, scope: Scope, state: dict[str, dict[str, Any]]) -> Iterator[Batch]:
        libraries = list(self._list(scope.id, self._site_url(scope.id, "/drives")))
        live = {str(d["id"]) for d in libraries}
        for gone in [key for key in state["drives"] if key not in live]:
            del state["drives"][gone]
        for library in libraries:
            drive_id, name = str(library["id"]), str(library.get("name") or "Documents")
            drive_scope = Scope(id=scope.id, kind="drive", name=name, meta={"drive_id": drive_id})
            for batch in self.drives.fetch(drive_scope, state["drives"].get(drive_id)):
                if batch.next_cursor is not None:
                    state["drives"][drive_id] = batch.next_cursor
                items = [self._in_library(item, name) for item in batch.items]
                yield Batch(items, self._snapshot(state), reset=batch.reset)

    @staticmethod
    def _in_library(item: Item, library: str) -> Item:
        folder = f"{library}/{item.folder}" if item.folder else library
        meta = {**item.meta, "library": library}
        if "path" in meta:
            meta["path"] = f"{library}/{meta['path']}"
        return replace(item, folder=folder, meta=meta)

    def _lists(self, scope: Scope, state: dict[str, dict[str, Any]]) -> Iterator[Batch]:
        lists = [x for x in self._list(scope.id, self._site_url(scope.id, "/lists"))
                 if (x.get("list") or {}).get("template") != "documentLibrary"]
        live = {str(x["id"]) for x in lists}
        for gone in [key for key in state["lists"] if key not in live]:
            del state["lists"][gone]
        for splist in lists:
            list_id, name = str(splist["id"]), str(splist.get("displayName") or splist.get("name"))
            start = self._site_url(scope.id, f"/lists/{quote(list_id, safe='')}/items/delta?expand=fields")
            for page in delta_round(self.http, str(state["lists"].get(list_id) or start), start, key=scope.id,
                                    page_size=self.page_size, what=f"list {name!r}",
                                    where=f"a SharePoint list of site {scope.id}"):
                items = [self._list_item(row, name, list_id) for row in page.rows]
                state["lists"][list_id] = page.link
                yield Batch(items, self._snapshot(state), reset=page.reset)

    @staticmethod
    def _list_item(row: Mapping[str, Any], list_name: str, list_id: str) -> Item:
        item_id = str(row["id"])
        if "deleted" in row or "@removed" in row:
            return Item(source_id=item_id, kind="listitem", folder=list_name, deleted=True, meta={"list_id": list_id})
        meta = {key: row[key] for key in ITEM_META if key in row}
        meta["list_id"] = list_id
        return Item(source_id=item_id, kind="listitem", folder=list_name, data=canonical(row), meta=meta)

    def _pages(self, scope: Scope, state: dict[str, dict[str, Any]]) -> Batch:
        known: dict[str, Any] = state["pages"]
        current = {str(p["id"]): p for p in self._list(scope.id, self._site_url(scope.id, "/pages"))}
        items: list[Item] = []
        for page_id, page in current.items():
            tag = page.get("eTag") or page.get("lastModifiedDateTime")
            if known.get(page_id) == tag:
                continue
            full = self.http.get_json(self._site_url(
                scope.id, f"/pages/{quote(page_id, safe='')}/microsoft.graph.sitePage?$expand=canvasLayout"),
                key=scope.id)
            meta = {key: full[key] for key in ITEM_META if key in full}
            meta.update({"name": full.get("name"), "title": full.get("title")})
            items.append(Item(source_id=page_id, kind="page", folder="SitePages", data=canonical(full), meta=meta))
            known[page_id] = tag
        for page_id in [key for key in known if key not in current]:
            del known[page_id]
            items.append(Item(source_id=page_id, kind="page", folder="SitePages", deleted=True))
        return Batch(items, self._snapshot(state))
