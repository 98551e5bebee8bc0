"""SharePoint sites: ``/sites/root``, ``/sites/{id}``, ``/sites/{id}/sites``, ``/sites?search=``,
``/sites/{id}/drives`` (document libraries, served as drives by :mod:`.drive`),
``/sites/{id}/lists``, ``/lists/{id}/items?expand=fields`` (+ ``/items/delta``) and
``/sites/{id}/pages`` (``sitePage``), plus what a restore writes: ``POST /sites/{id}/lists`` (with
``columns`` and ``list.template``), ``POST .../items`` (every field must be a column of the list, as
in SharePoint: 400 ``invalidRequest`` otherwise), ``PATCH .../items/{id}/fields``, ``POST .../pages``
(a new page is checked out, ``publishingState.level`` ``checkout``, version 0.1),
``PATCH .../pages/{id}/microsoft.graph.sitePage`` and ``POST .../microsoft.graph.sitePage/publish``
(204, the page becomes ``published``).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from fakecloud.microsoft import common
from fakecloud.microsoft.common import Workload
from fakecloud.microsoft.drive import drive_json
from fakecloud.microsoft.errors import graph_error
from fakecloud.microsoft.feed import Entity, now_iso
from fakecloud.microsoft.models import Site, SPList, site_id
from fakecloud.microsoft.store import IssuedToken, MicrosoftStore
from fakecloud.web import Request, Response, Router

SITE = r"/sites/(?P<site>[^/]+)"
LIST = SITE + r"/lists/(?P<list>[^/]+)"
ITEM_CT = {"id": "0x0100A7B3C4D5E6F708192A3B4C5D6E7F8091", "name": "Item"}
PAGE = SITE + r"/pages/(?P<page>[0-9a-f-]{36})"
# Fields SharePoint sets itself; every list has them, so they never need a column of their own.
BUILT_IN_FIELDS = frozenset({"id", "ID", "Title", "Created", "Modified", "Author", "Editor", "ContentType",
                             "Attachments", "Edit", "LinkTitle", "LinkTitleNoMenu", "DocIcon", "ItemChildCount",
                             "FolderChildCount", "AppAuthor", "AppEditor", "ComplianceAssetId"})
TITLE_COLUMN = {"name": "Title", "displayName": "Title", "description": "", "columnGroup": "Custom Columns",
                "enforceUniqueValues": False, "hidden": False, "indexed": False, "readOnly": False,
                "required": False, "text": {"allowMultipleLines": False, "appendChangesToExistingText": False,
                                            "linesForEditing": 0, "maxLength": 255}}
COLUMN_TYPES = ("text", "number", "boolean", "dateTime", "choice", "currency", "personOrGroup", "lookup",
                "hyperlinkOrPicture", "calculated")


def host_of(tenant: str) -> str:
    return tenant.split(".")[0]


def root_site(store: MicrosoftStore, tenant: str) -> Site:
    found = next((s for s in store.sites.values() if s.tenant == tenant and s.path == ""), None)
    if found is None:
        host = host_of(tenant)
        found = Site(site_id(host), tenant, "", "Communication site", f"https://{host}.sharepoint.com")
        store.sites[found.id] = found
        add_library(store, found, "Documents", "Shared Documents")
    return found


def ensure_site(store: MicrosoftStore, tenant: str, path: str, display_name: str = "",
                group_id: str | None = None) -> Site:
    """The site at ``path`` ("marketing", "marketing/emea"), created with its parents when missing."""
    parent = root_site(store, tenant)
    walked = ""
    for part in [p for p in path.strip("/").split("/") if p]:
        walked = f"{walked}/{part}".strip("/")
        found = next((s for s in store.sites.values() if s.tenant == tenant and s.path.lower() == walked.lower()),
                     None)
        if found is None:
            base = f"https://{host_of(tenant)}.sharepoint.com"
            url = f"{base}/sites/{walked}" if "/" not in walked else f"{parent.web_url}/{part}"
            found = Site(site_id(host_of(tenant)), tenant, walked, display_name if walked == path.strip("/") and
                         display_name else part, url, parent_id=parent.id, group_id=group_id)
            store.sites[found.id] = found
            add_library(store, found, "Documents", "Shared Documents")
        parent = found
    return parent


def add_library(store: MicrosoftStore, site: Site, display_name: str, url_name: str) -> SPList:
    owner = {"id": site.group_id or site.id.split(",")[1], "displayName": site.display_name}
    drive = store.drives.new_drive(site.tenant, display_name, "documentLibrary", owner,
                                   f"{site.web_url}/{url_name}", owner_account=f"sites/{site.path}",
                                   site_id=site.id)
    library = SPList(str(uuid.uuid4()), url_name, display_name, "documentLibrary", drive.id)
    site.lists[library.id] = library
    return library


def ensure_list(site: Site, name: str, template: str = "genericList") -> SPList:
    found = site.list_named(name)
    if found is None:
        found = SPList(str(uuid.uuid4()), name.replace(" ", ""), name, template)
        site.lists[found.id] = found
    return found


def column_for(name: str, value: Any) -> dict[str, Any]:
    """A columnDefinition fitting a seeded field value (text unless it is a number or a yes/no)."""
    kind: dict[str, Any] = ({"boolean": {}} if isinstance(value, bool) else
                            {"number": {"decimalPlaces": "automatic", "displayAs": "number"}}
                            if isinstance(value, int | float) else
                            {"text": {"allowMultipleLines": False, "appendChangesToExistingText": False,
                                      "linesForEditing": 0, "maxLength": 255}})
    return {"id": str(uuid.uuid4()), "name": name, "displayName": name, "description": "", "hidden": False,
            "indexed": False, "readOnly": False, "required": False, "enforceUniqueValues": False,
            "columnGroup": "Custom Columns", **kind}


def add_columns(splist: SPList, fields: dict[str, Any]) -> None:
    """Seeding: every field that is not built in gets a column (as if the list had been designed so)."""
    known = {c["name"] for c in splist.columns}
    for name, value in fields.items():
        if name not in BUILT_IN_FIELDS and name not in known and not name.startswith(("@", "_")):
            splist.columns.append(column_for(name, value))
            known.add(name)


def unknown_field(splist: SPList, fields: dict[str, Any]) -> str | None:
    """The first field that is neither built in nor a column of the list (SharePoint refuses it)."""
    known = {c["name"] for c in splist.columns}
    return next((name for name in fields if not name.startswith("@odata.") and name not in BUILT_IN_FIELDS
                 and name not in known), None)


def resolve_site(store: MicrosoftStore, tenant: str, key: str) -> Site | None:
    if key == "root":
        return root_site(store, tenant)
    site = store.sites.get(key)
    if site is None:  # the site's GUID pair or its collection GUID alone also address it
        site = next((s for s in store.sites.values() if key in (s.id.split(",", 1)[-1], s.id.split(",")[1])), None)
    return site if site is not None and site.tenant == tenant else None


class SitesService(Workload):
    read_roles = frozenset({"Sites.Read.All", "Sites.ReadWrite.All", "Sites.Manage.All", "Sites.FullControl.All"})
    write_roles = frozenset({"Sites.ReadWrite.All", "Sites.Manage.All", "Sites.FullControl.All"})

    def register(self, router: Router) -> None:
        r = self.route
        r(router, "GET", r"/sites", self.search)
        r(router, "GET", SITE, self.get_site)
        r(router, "GET", SITE + r"/sites", self.subsites)
        r(router, "GET", SITE + r"/drives", self.drives)
        r(router, "GET", SITE + r"/drive", self.default_drive)
        r(router, "GET", SITE + r"/lists", self.lists)
        r(router, "GET", LIST, self.get_list)
        r(router, "GET", LIST + r"/items", self.items)
        r(router, "GET", LIST + r"/items/delta", self.items_delta)
        r(router, "GET", LIST + r"/items/(?P<item>\d+)", self.get_item)
        r(router, "POST", LIST + r"/items", self.create_item, write=True)
        r(router, "PATCH", LIST + r"/items/(?P<item>\d+)/fields", self.update_fields, write=True)
        r(router, "POST", SITE + r"/lists", self.create_list, write=True)
        r(router, "POST", LIST + r"/columns", self.create_column, write=True)
        r(router, "GET", SITE + r"/pages", self.pages)
        r(router, "GET", SITE + r"/pages/microsoft\.graph\.sitePage", self.pages)
        r(router, "GET", PAGE + r"(?:/microsoft\.graph\.sitePage)?", self.get_page)
        r(router, "POST", SITE + r"/pages", self.create_page, write=True)
        r(router, "PATCH", PAGE + r"/microsoft\.graph\.sitePage", self.update_page, write=True)
        r(router, "POST", PAGE + r"/microsoft\.graph\.sitePage/publish", self.publish_page, write=True)

    # --- shapes ---------------------------------------------------------------------------
    def site_json(self, site: Site) -> dict[str, Any]:
        row: dict[str, Any] = {"id": site.id, "name": site.name, "displayName": site.display_name,
                               "description": site.description, "createdDateTime": site.created,
                               "lastModifiedDateTime": site.created, "webUrl": site.web_url,
                               "isPersonalSite": False,
                               "siteCollection": {"hostname": f"{host_of(site.tenant)}.sharepoint.com"}}
        if site.path == "":
            row["root"] = {}
        return row

    def list_json(self, site: Site, splist: SPList, request: Request | None = None) -> dict[str, Any]:
        row = self._list_row(site, splist)
        expand = ((request.arg("expand") or request.arg("$expand") or "") if request else "").lower()
        if "columns" in expand:
            row["columns"] = [dict(TITLE_COLUMN, id=str(uuid.uuid5(uuid.NAMESPACE_URL, splist.id + "/Title")))] + [
                dict(c) for c in splist.columns]
        return row

    def _list_row(self, site: Site, splist: SPList) -> dict[str, Any]:
        return {"@odata.etag": f'"{splist.id},{splist.feed.seq}"', "id": splist.id, "name": splist.name,
                "displayName": splist.display_name, "description": splist.description,
                "createdDateTime": splist.created,
                "lastModifiedDateTime": splist.created, "webUrl": f"{site.web_url}/Lists/{splist.name}"
                if splist.template != "documentLibrary" else f"{site.web_url}/{splist.name}",
                "list": {"contentTypesEnabled": False, "hidden": False, "template": splist.template},
                "parentReference": {"siteId": site.id}}

    def item_json(self, site: Site, splist: SPList, entity: Entity, request: Request) -> dict[str, Any]:
        etag = f'"{entity.extra["guid"]},{entity.extra["version"]}"'
        row: dict[str, Any] = {
            "@odata.etag": etag, "id": entity.id, "eTag": etag,
            "createdDateTime": entity.extra["created"], "lastModifiedDateTime": entity.extra["modified"],
            "webUrl": f"{site.web_url}/Lists/{splist.name}/DispForm.aspx?ID={entity.id}",
            "createdBy": {"user": entity.extra["by"]}, "lastModifiedBy": {"user": entity.extra["by"]},
            "parentReference": {"id": splist.id, "siteId": site.id}, "contentType": dict(ITEM_CT),
        }
        expand = (request.arg("expand") or request.arg("$expand") or "").lower()
        if "fields" in expand:
            row["fields"] = {"@odata.etag": etag, "id": entity.id, **entity.props,
                             "Created": entity.extra["created"], "Modified": entity.extra["modified"]}
        return row

    def page_json(self, site: Site, entity: Entity, request: Request) -> dict[str, Any]:
        etag = f'"{{{entity.id.upper()}}},{entity.extra["version"]}"'
        row: dict[str, Any] = {
            "@odata.type": "#microsoft.graph.sitePage", "@odata.etag": etag, "eTag": etag, "id": entity.id,
            "name": entity.name, "title": entity.props.get("title", entity.name.removesuffix(".aspx")),
            "description": entity.props.get("description", ""),
            "webUrl": f"{site.web_url}/SitePages/{entity.name}", "pageLayout": entity.props.get("pageLayout",
                                                                                               "article"),
            "promotionKind": "page", "showComments": True, "showRecommendedPages": False, "reactions": {},
            "thumbnailWebUrl": f"{site.web_url}/_layouts/15/images/sitepagethumbnail.png",
            "createdDateTime": entity.extra["created"], "lastModifiedDateTime": entity.extra["modified"],
            "createdBy": {"user": entity.extra["by"]}, "lastModifiedBy": {"user": entity.extra["by"]},
            "parentReference": {"siteId": site.id},
            "publishingState": {"level": "published", "versionId": f"{entity.extra['version']}.0"}
            if entity.extra.get("published", True) else {"level": "checkout", "versionId": f"{entity.extra['version'] - 1}.1",
                                                          "checkedOutBy": {"user": entity.extra["by"]}},
        }
        if "titleArea" in entity.props:
            row["titleArea"] = entity.props["titleArea"]
        expand = (request.arg("expand") or request.arg("$expand") or "").lower()
        if "canvaslayout" in expand and "canvasLayout" in entity.props:
            row["canvasLayout"] = entity.props["canvasLayout"]
        return row

    # --- lookups ----------------------------------------------------------------------------
    def _site(self, request: Request, issued: IssuedToken) -> Site | Response:
        site = resolve_site(self.store, issued.tenant, request.params["site"])
        if site is None:
            return common.not_found("itemNotFound", "Requested site could not be found")
        return site

    def _list(self, request: Request, issued: IssuedToken) -> tuple[Site, SPList] | Response:
        site = self._site(request, issued)
        if isinstance(site, Response):
            return site
        splist = site.list_named(request.params["list"])
        if splist is None:
            return common.not_found("itemNotFound", "The specified list was not found")
        return site, splist

    # --- handlers -----------------------------------------------------------------------------
    def search(self, request: Request, issued: IssuedToken) -> Response:
        query = (request.arg("search") or request.arg("$search") or "").strip('"').lower()
        root_site(self.store, issued.tenant)
        sites = sorted((s for s in self.store.sites.values() if s.tenant == issued.tenant), key=lambda s: s.path)
        rows = [self.site_json(s) for s in sites
                if not query or query == "*" or query in s.display_name.lower() or query in s.name.lower()]
        return common.collection(request, "sites", rows)

    def get_site(self, request: Request, issued: IssuedToken) -> Response:
        site = self._site(request, issued)
        return site if isinstance(site, Response) else common.entity("sites", self.site_json(site), request)

    def subsites(self, request: Request, issued: IssuedToken) -> Response:
        site = self._site(request, issued)
        if isinstance(site, Response):
            return site
        rows = [self.site_json(s) for s in sorted(self.store.sites.values(), key=lambda s: s.path)
                if s.parent_id == site.id and site.path != ""]
        return common.collection(request, f"sites('{site.id}')/sites", rows)

    def _library_drives(self, site: Site) -> list[dict[str, Any]]:
        rows = []
        for splist in site.lists.values():
            drive = self.store.drives.drives.get(splist.drive_id or "")
            if drive is not None:
                rows.append(drive_json(drive))
        return rows

    def drives(self, request: Request, issued: IssuedToken) -> Response:
        site = self._site(request, issued)
        if isinstance(site, Response):
            return site
        return common.collection(request, "drives", self._library_drives(site))

    def default_drive(self, request: Request, issued: IssuedToken) -> Response:
        site = self._site(request, issued)
        if isinstance(site, Response):
            return site
        rows = self._library_drives(site)
        return common.entity("drives", rows[0], request) if rows else common.not_found()

    def lists(self, request: Request, issued: IssuedToken) -> Response:
        site = self._site(request, issued)
        if isinstance(site, Response):
            return site
        rows = [self.list_json(site, x, request) for x in site.lists.values()]
        return common.collection(request, f"sites('{site.id}')/lists", rows)

    def get_list(self, request: Request, issued: IssuedToken) -> Response:
        found = self._list(request, issued)
        if isinstance(found, Response):
            return found
        return common.entity(f"sites('{found[0].id}')/lists", self.list_json(*found, request), request)

    def items(self, request: Request, issued: IssuedToken) -> Response:
        found = self._list(request, issued)
        if isinstance(found, Response):
            return found
        site, splist = found
        rows = [self.item_json(site, splist, e, request) for e in splist.feed.items.values()]
        return common.collection(request, f"sites('{site.id}')/lists('{splist.id}')/items", rows)

    def items_delta(self, request: Request, issued: IssuedToken) -> Response:
        found = self._list(request, issued)
        if isinstance(found, Response):
            return found
        site, splist = found
        return common.delta(request, splist.feed, "Collection(listItem)",
                            lambda e: self.item_json(site, splist, e, request),
                            lambda item_id: {"id": item_id, "deleted": {"state": "deleted"}},
                            token_param="token")

    def get_item(self, request: Request, issued: IssuedToken) -> Response:
        found = self._list(request, issued)
        if isinstance(found, Response):
            return found
        site, splist = found
        entity = splist.feed.items.get(request.params["item"])
        if entity is None:
            return common.not_found()
        return common.entity(f"sites('{site.id}')/lists('{splist.id}')/items",
                             self.item_json(site, splist, entity, request), request)

    def create_item(self, request: Request, issued: IssuedToken) -> Response:
        found = self._list(request, issued)
        if isinstance(found, Response):
            return found
        site, splist = found
        body = request.json()
        if not isinstance(body, dict) or not isinstance(body.get("fields"), dict):
            return common.bad_request("The request body needs a fields object.")
        unknown = unknown_field(splist, body["fields"])
        if unknown is not None:
            return common.bad_request(f"Field '{unknown}' is not recognized")
        entity = new_list_item(splist, body["fields"], {"displayName": "SharePoint App"})
        return common.entity(f"sites('{site.id}')/lists('{splist.id}')/items",
                             self.item_json(site, splist, entity, request), status=201)

    def update_fields(self, request: Request, issued: IssuedToken) -> Response:
        """``PATCH .../items/{id}/fields``: the given fields change; answers the item's fieldValueSet."""
        found = self._list(request, issued)
        if isinstance(found, Response):
            return found
        site, splist = found
        entity = splist.feed.items.get(request.params["item"])
        if entity is None:
            return common.not_found()
        body = request.json()
        if not isinstance(body, dict):
            return common.bad_request("The request body must be a JSON object of fields.")
        unknown = unknown_field(splist, body)
        if unknown is not None:
            return common.bad_request(f"Field '{unknown}' is not recognized")
        entity.props.update({k: v for k, v in body.items() if not k.startswith("@odata.")})
        entity.content = common_json(entity.props)
        entity.extra["version"] += 1
        entity.extra["modified"] = now_iso()
        splist.feed.touch(entity.id)
        etag = f'"{entity.extra["guid"]},{entity.extra["version"]}"'
        return common.entity(f"sites('{site.id}')/lists('{splist.id}')/items('{entity.id}')/fields",
                             {"@odata.etag": etag, "id": entity.id, **entity.props,
                              "Created": entity.extra["created"], "Modified": entity.extra["modified"]})

    def create_column(self, request: Request, issued: IssuedToken) -> Response:
        """``POST .../lists/{id}/columns``: a columnDefinition with a type facet; 201."""
        found = self._list(request, issued)
        if isinstance(found, Response):
            return found
        site, splist = found
        body = request.json()
        if not isinstance(body, dict) or not body.get("name"):
            return common.bad_request("A column needs a name.")
        if not any(kind in body for kind in COLUMN_TYPES):
            return common.bad_request(f"Column '{body['name']}' has no column type facet.")
        if body["name"] in BUILT_IN_FIELDS or any(c["name"] == body["name"] for c in splist.columns):
            return graph_error(409, "nameAlreadyExists", f"A column named '{body['name']}' already exists.")
        column = column_for(str(body["name"]), "")
        column = {**{k: v for k, v in column.items() if k != "text"}, **body, "id": column["id"]}
        splist.columns.append(column)
        return common.entity(f"sites('{site.id}')/lists('{splist.id}')/columns", dict(column), status=201)

    def create_list(self, request: Request, issued: IssuedToken) -> Response:
        """``POST /sites/{id}/lists`` with ``displayName``, ``columns`` and ``list.template``."""
        site = self._site(request, issued)
        if isinstance(site, Response):
            return site
        body = request.json()
        if not isinstance(body, dict) or not str(body.get("displayName") or "").strip():
            return common.bad_request("A list needs a displayName.")
        name = str(body["displayName"]).strip()
        if site.list_named(name) is not None:
            return graph_error(409, "nameAlreadyExists", f"A list, survey, discussion board, or document library "
                               f"with the specified title '{name}' already exists in this Web site.")
        template = str((body.get("list") or {}).get("template") or "genericList")
        columns = body.get("columns") or []
        if not isinstance(columns, list) or any(not isinstance(c, dict) or not c.get("name") for c in columns):
            return common.bad_request("Every column needs a name.")
        for column in columns:
            if not any(kind in column for kind in COLUMN_TYPES):
                return common.bad_request(f"Column '{column['name']}' has no column type facet.")
        if template == "documentLibrary":
            splist = add_library(self.store, site, name, name.replace(" ", ""))
        else:
            splist = ensure_list(site, name, template)
        splist.description = str(body.get("description") or "")
        splist.columns = [{"id": str(uuid.uuid4()), "displayName": c.get("displayName") or c["name"],
                           "description": "", "hidden": False, "indexed": False, "readOnly": False,
                           "required": False, "enforceUniqueValues": False, "columnGroup": "Custom Columns", **c}
                          for c in columns if c["name"] not in BUILT_IN_FIELDS]
        return common.entity(f"sites('{site.id}')/lists", self.list_json(site, splist), status=201)

    def pages(self, request: Request, issued: IssuedToken) -> Response:
        site = self._site(request, issued)
        if isinstance(site, Response):
            return site
        rows = [self.page_json(site, e, request) for e in site.pages.items.values()]
        return common.collection(request, f"sites('{site.id}')/pages", rows)

    def get_page(self, request: Request, issued: IssuedToken) -> Response:
        site = self._site(request, issued)
        if isinstance(site, Response):
            return site
        entity = site.pages.items.get(request.params["page"])
        if entity is None:
            return common.not_found()
        return common.entity(f"sites('{site.id}')/pages", self.page_json(site, entity, request), request)

    def create_page(self, request: Request, issued: IssuedToken) -> Response:
        site = self._site(request, issued)
        if isinstance(site, Response):
            return site
        body = request.json()
        if not isinstance(body, dict) or not body.get("name"):
            return common.bad_request("A page needs a name.")
        entity = new_page(site, str(body["name"]), {k: v for k, v in body.items() if k not in ("name", "@odata.type")},
                          {"displayName": "SharePoint App"})
        entity.extra.update({"published": False, "version": 1})
        return common.entity(f"sites('{site.id}')/pages", self.page_json(site, entity, request), status=201)

    def _page(self, request: Request, issued: IssuedToken) -> tuple[Site, Entity] | Response:
        site = self._site(request, issued)
        if isinstance(site, Response):
            return site
        entity = site.pages.items.get(request.params["page"])
        return (site, entity) if entity is not None else common.not_found()

    def update_page(self, request: Request, issued: IssuedToken) -> Response:
        """``PATCH .../pages/{id}/microsoft.graph.sitePage``: title, layout, canvas; the page is checked out."""
        found = self._page(request, issued)
        if isinstance(found, Response):
            return found
        site, entity = found
        body = request.json()
        if not isinstance(body, dict):
            return common.bad_request("The request body must be a sitePage object.")
        entity.props.update({k: v for k, v in body.items() if k not in ("name", "@odata.type", "id")})
        entity.content = common_json(entity.props)
        entity.extra.update({"modified": now_iso(), "published": False})
        site.pages.touch(entity.id)
        return common.entity(f"sites('{site.id}')/pages", self.page_json(site, entity, request))

    def publish_page(self, request: Request, issued: IssuedToken) -> Response:
        """``POST .../microsoft.graph.sitePage/publish``: 204; the page's next major version is published."""
        found = self._page(request, issued)
        if isinstance(found, Response):
            return found
        site, entity = found
        if not entity.extra.get("published", True):
            entity.extra.update({"published": True, "modified": now_iso()})
            site.pages.touch(entity.id)
        else:
            entity.extra["version"] += 1
        return Response(204, b"", {})


def _stamp(entity: Entity, by: dict[str, str]) -> Entity:
    now = now_iso()
    entity.extra.update({"guid": str(uuid.uuid4()), "version": 1, "created": now, "modified": now, "by": by})
    return entity


def new_list_item(splist: SPList, fields: dict[str, Any], by: dict[str, str], content: bytes | None = None,
                  owner: str = "") -> Entity:
    entity = _stamp(Entity(splist.new_item_id(), dict(fields), content if content is not None else
                           common_json(fields), owner), by)
    splist.feed.put(entity.id, entity)
    return entity


def new_page(site: Site, name: str, props: dict[str, Any], by: dict[str, str], content: bytes | None = None,
             owner: str = "") -> Entity:
    name = name if name.endswith(".aspx") else name + ".aspx"
    entity = _stamp(Entity(str(uuid.uuid4()), dict(props), content if content is not None else common_json(props),
                           owner, name), by)
    site.pages.put(entity.id, entity)
    return entity


def common_json(value: Any) -> bytes:
    """The natural form of a JSON-shaped item created through Graph (stable key order)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
