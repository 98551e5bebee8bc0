"""Write SharePoint list items and site pages back (the restore side of ``sharepoint.py``).

List items: the backed-up listItem's ``fields`` without what SharePoint sets itself (``id``,
``Created``, ``Modified``, ``Author``, ``Editor``, ``_UIVersion…``, ``ContentType``, ``Attachments``,
``LinkTitle…``, anything starting with ``_`` or ``@odata``) in a ``POST /sites/{site}/lists/{list}/items``.
The target list is the backed-up one (by id, when restoring into the same site without ``to_path``),
else the list of that display name (``to_path`` names it) in the target site, created when missing with
``POST /sites/{site}/lists``: the original list's ``displayName``, ``columns`` and ``list.template``
(read from the source site when it still has the list, else text/number/yes-no columns inferred from
the item's fields).

Identity of an item in the target list: the original item id when the target is the original list and
that item still exists, else an item with the same ``Title``. When one exists: ``skip`` leaves it,
``replace`` writes the backed-up fields over it (``PATCH .../items/{id}/fields``), ``copy`` creates a
new item with `` (restored)`` appended to its Title.

Site pages: ``POST /sites/{site}/pages`` with the backed-up sitePage's name, title, layout, title
area and ``canvasLayout`` (web parts), then ``POST .../pages/{id}/microsoft.graph.sitePage/publish``.
Identity: the page name. ``skip`` leaves an existing page, ``replace`` PATCHes it with the backed-up
content and publishes it again, ``copy`` creates ``<name> (restored).aspx``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from kustos.sources.base import ConnectorError
from kustos.sources.graph.backup.restore_files import RESTORED, SKIPPED
from kustos.sources.graph.backup.restore_http import (
    all_rows,
    check_conflict,
    container_name,
    get_or_none,
    send_json,
    stored_json,
)
from kustos.sources.graph.backup.session import GraphSession

COPY_SUFFIX = " (restored)"
READ_ONLY_FIELDS = frozenset({"id", "ID", "Created", "Modified", "Author", "Editor", "AuthorLookupId",
                              "EditorLookupId", "ContentType", "ContentTypeId", "Attachments", "Edit", "DocIcon",
                              "ItemChildCount", "FolderChildCount", "AppAuthor", "AppEditor", "AppAuthorLookupId",
                              "AppEditorLookupId", "ComplianceAssetId", "GUID", "UniqueId", "FileRef",
                              "FileLeafRef", "FileDirRef", "FSObjType", "Order", "WorkflowVersion"})
READ_ONLY_PREFIXES = ("_", "@odata", "LinkTitle", "_UIVersion", "OData_")
# sitePage properties a create/update accepts (the rest is set by SharePoint).
PAGE_WRITABLE = ("title", "description", "pageLayout", "showComments", "showRecommendedPages", "thumbnailWebUrl",
                 "titleArea", "canvasLayout", "promotionKind")
# columnDefinition properties SharePoint sets itself.
COLUMN_READ_ONLY = frozenset({"id", "isDeletable", "isReorderable", "isSealed", "propagateChanges", "readOnly",
                              "sourceContentType", "columnGroup", "sourceColumn"})
BUILT_IN_COLUMNS = frozenset({"Title", *READ_ONLY_FIELDS})


def writable_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The fields a create or update may carry (no system, read-only or annotation fields)."""
    return {k: v for k, v in fields.items() if k not in READ_ONLY_FIELDS and not k.startswith(READ_ONLY_PREFIXES)}


def inferred_column(name: str, value: Any) -> dict[str, Any]:
    kind: dict[str, Any] = ({"boolean": {}} if isinstance(value, bool) else
                            {"number": {}} if isinstance(value, int | float) else {"text": {}})
    return {"name": name, "displayName": name, **kind}


class SharePointRestorer:
    """List items and site pages into ``/sites/{site}``."""

    def __init__(self, session: GraphSession) -> None:
        self.session = session
        self.http = session.http
        self._lists: dict[tuple[str, str], str] = {}  # (site, list display name lowercased) -> list id
        self._titles: dict[tuple[str, str], dict[str, str]] = {}  # (site, list id) -> Title -> item id
        self._pages: dict[str, dict[str, str]] = {}  # site -> page name lowercased -> page id
        self._undefined: set[tuple[str, str]] = set()  # lists created without their source's definition

    # --- plumbing -----------------------------------------------------------------------------
    def _site(self, site: str, path: str = "") -> str:
        return f"{self.session.base}/sites/{quote(site, safe='')}{path}"

    def _send(self, method: str, url: str, key: str, body: object | None, ok: tuple[int, ...]) -> dict[str, Any]:
        return send_json(self.http, method, url, key, body, ok)

    def _get(self, url: str, key: str) -> dict[str, Any] | None:
        return get_or_none(self.http, url, key)

    def _rows(self, url: str, key: str) -> list[dict[str, Any]]:
        return all_rows(self.http, url, key)

    # --- lists ----------------------------------------------------------------------------------
    def _target_list(self, site: str, name: str, source_site: str, source_list: str) -> str:
        """The id of the list ``name`` in ``site`` (the source list itself when it is there), created when
        missing from the source list's definition."""
        key = (site, name.lower())
        if key in self._lists:
            return self._lists[key]
        found = None
        if site == source_site and source_list:
            row = self._get(self._site(site, f"/lists/{quote(source_list, safe='')}"), site)
            if row is not None and str(row.get("displayName") or "").lower() == name.lower():
                found = str(row["id"])
        if found is None:
            found = next((str(r["id"]) for r in self._rows(self._site(site, "/lists"), site)
                          if str(r.get("displayName") or "").lower() == name.lower()), None)
        if found is None:
            found = self._create_list(site, name, source_site, source_list)
        self._lists[key] = found
        return found

    def _create_list(self, site: str, name: str, source_site: str, source_list: str) -> str:
        source = self._get(self._site(source_site, f"/lists/{quote(source_list, safe='')}?expand=columns"),
                           source_site) if source_list else None
        body: dict[str, Any] = {"displayName": name, "list": {"template": "genericList"}, "columns": []}
        if source is not None:
            body["list"]["template"] = str((source.get("list") or {}).get("template") or "genericList")
            if source.get("description"):
                body["description"] = source["description"]
            body["columns"] = [{k: v for k, v in column.items() if k not in COLUMN_READ_ONLY}
                               for column in source.get("columns") or []
                               if column.get("name") not in BUILT_IN_COLUMNS and not column.get("readOnly")
                               and not column.get("hidden") and not str(column.get("name") or "").startswith("_")]
        list_id = str(self._send("POST", self._site(site, "/lists"), site, body, (200, 201))["id"])
        if source is None:  # columns are inferred from the items' fields as they come
            self._undefined.add((site, list_id))
        return list_id

    def _ensure_columns(self, site: str, list_id: str, fields: Mapping[str, Any]) -> None:
        """A list created without its source definition gets a column for every field it lacks."""
        if (site, list_id) not in self._undefined:
            return
        row = self._get(self._site(site, f"/lists/{quote(list_id, safe='')}?expand=columns"), site) or {}
        known = {str(c.get("name")) for c in row.get("columns") or []}
        for name, value in fields.items():
            if name not in known and name not in BUILT_IN_COLUMNS:
                self._send("POST", self._site(site, f"/lists/{quote(list_id, safe='')}/columns"), site,
                           inferred_column(name, value), (200, 201))

    def _by_title(self, site: str, list_id: str) -> dict[str, str]:
        key = (site, list_id)
        if key not in self._titles:
            rows = self._rows(self._site(site, f"/lists/{quote(list_id, safe='')}/items?expand=fields"), site)
            self._titles[key] = {str((r.get("fields") or {}).get("Title")): str(r["id"]) for r in rows
                                 if (r.get("fields") or {}).get("Title") is not None}
        return self._titles[key]

    def list_item(self, site: str, source_site: str, path: str, data: bytes, meta: Mapping[str, Any], *,
                  to_path: str | None, conflict: str) -> str:
        check_conflict(conflict)
        item = stored_json(data, "list item")
        list_name = container_name(path, to_path, "list")
        source_list = str(meta.get("list_id") or "")
        list_id = self._target_list(site, list_name, source_site, source_list)
        items_url = self._site(site, f"/lists/{quote(list_id, safe='')}/items")
        fields = writable_fields(item.get("fields") or {})
        title = fields.get("Title")
        existing = None
        original = str(item.get("id") or "")
        if original and site == source_site and list_id == source_list \
                and self._get(f"{items_url}/{quote(original, safe='')}", site) is not None:
            existing = original
        elif title is not None:
            existing = self._by_title(site, list_id).get(str(title))
        if existing is not None:
            if conflict == "skip":
                return SKIPPED
            if conflict == "replace":
                self._send("PATCH", f"{items_url}/{quote(existing, safe='')}/fields", site, fields, (200,))
                return RESTORED
            fields["Title"] = f"{title if title is not None else ''}{COPY_SUFFIX}"
        self._ensure_columns(site, list_id, fields)
        created = self._send("POST", items_url, site, {"fields": fields}, (200, 201))
        if fields.get("Title") is not None:
            self._by_title(site, list_id)[str(fields["Title"])] = str(created["id"])
        return RESTORED

    # --- pages ----------------------------------------------------------------------------------
    def _page_ids(self, site: str) -> dict[str, str]:
        if site not in self._pages:
            self._pages[site] = {str(r.get("name") or "").lower(): str(r["id"])
                                 for r in self._rows(self._site(site, "/pages"), site)}
        return self._pages[site]

    def page(self, site: str, data: bytes, *, conflict: str) -> str:
        check_conflict(conflict)
        try:
            page = json.loads(data)
        except ValueError:
            raise ConnectorError("the stored site page is not JSON") from None
        name = str(page.get("name") or "").strip()
        if not name:
            raise ValueError("the stored site page has no name")
        body: dict[str, Any] = {"@odata.type": "#microsoft.graph.sitePage",
                                **{k: page[k] for k in PAGE_WRITABLE if page.get(k) is not None}}
        pages = self._page_ids(site)
        existing = pages.get(name.lower())
        if existing is not None:
            if conflict == "skip":
                return SKIPPED
            if conflict == "replace":
                url = self._site(site, f"/pages/{quote(existing, safe='')}/microsoft.graph.sitePage")
                self._send("PATCH", url, site, body, (200,))
                self._send("POST", url + "/publish", site, None, (200, 204))
                return RESTORED
            stem = name.removesuffix(".aspx")
            name = f"{stem}{COPY_SUFFIX}.aspx"
            if body.get("title"):
                body["title"] = f"{body['title']}{COPY_SUFFIX}"
        created = self._send("POST", self._site(site, "/pages"), site, {**body, "name": name}, (200, 201))
        page_id = str(created["id"])
        self._send("POST", self._site(site, f"/pages/{quote(page_id, safe='')}/microsoft.graph.sitePage/publish"),
                   site, None, (200, 204))
        pages[name.lower()] = page_id
        return RESTORED
