"""OneDrive for Business and document libraries: ``/drives/{id}/...`` (plus ``/users/{id}/drive``).

Served: drive, root, items by id or path (``root:/a/b:``), ``children`` (paged),
``root/delta`` (``token`` paging, ``token=latest``, ``deleted`` facet, 410
``resyncRequired`` with a ``Location`` to start over), ``content`` (302 to an expiring
pre-authenticated ``@microsoft.graph.downloadUrl``), ``permissions``, small uploads
(``PUT .../{parent-id}:/{name}:/content``), upload sessions (``createUploadSession``,
ranged ``PUT`` to the ``uploadUrl``), folder creation and delete, with
``@microsoft.graph.conflictBehavior`` fail | replace | rename.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Any

from fakecloud.microsoft import common
from fakecloud.microsoft.blob import Content, chunks
from fakecloud.microsoft.common import Workload
from fakecloud.microsoft.drive_store import CONFLICT, Conflict, Drive, DriveItem, DriveStore, mime_type
from fakecloud.microsoft.errors import graph_error
from fakecloud.microsoft.feed import Feed
from fakecloud.microsoft.store import IssuedToken
from fakecloud.web import Request, Response, Router, Streamed, json_response

DRIVE = r"/drives/(?P<drive>[^/]+)"
ITEM = DRIVE + r"/items/(?P<item>[^/:]+)"
PATH = DRIVE + r"/root:/(?P<path>[^:]+):?"
CHILD = DRIVE + r"/items/(?P<item>[^/:]+):/(?P<name>[^:]+):"
ROOT_CHILD = DRIVE + r"/root:/(?P<name>[^:]+):"
MAX_FRAGMENT = 60 * 1024 * 1024
FRAGMENT_UNIT = 320 * 1024
RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")
DOWNLOAD_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def owner_set(drive: Drive) -> dict[str, Any]:
    """A library is owned by its site's group (a sharePointIdentitySet), a OneDrive by its user."""
    if drive.drive_type == "documentLibrary":
        return {"@odata.type": "#microsoft.graph.sharePointIdentitySet", "group": dict(drive.owner)}
    return {"user": dict(drive.owner)}


def drive_json(drive: Drive) -> dict[str, Any]:
    used = sum(len(i.content) for i in drive.feed.items.values())
    total = 1024 ** 4
    root = drive.item(drive.root_id)
    return {"id": drive.id, "name": drive.name, "driveType": drive.drive_type, "description": "",
            "createdDateTime": root.created if root else None,
            "lastModifiedDateTime": root.modified if root else None, "webUrl": drive.web_url,
            "owner": owner_set(drive),
            "quota": {"deleted": 0, "remaining": total - used, "state": "normal", "total": total, "used": used}}


def body(content: Content, start: int, end: int) -> bytes | Streamed:
    """Bytes as they are; synthetic content streamed, never held whole."""
    if isinstance(content, bytes):
        return content[start:end]
    return Streamed(end - start, chunks(content, start, end))


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class DriveService(Workload):
    read_roles = frozenset({"Files.Read.All", "Files.ReadWrite.All", "Sites.Read.All", "Sites.ReadWrite.All",
                            "Sites.FullControl.All"})
    write_roles = frozenset({"Files.ReadWrite.All", "Sites.ReadWrite.All", "Sites.FullControl.All"})

    @property
    def drives(self) -> DriveStore:
        return self.store.drives

    def register(self, router: Router) -> None:
        r = self.route
        r(router, "GET", r"/users/(?P<user>[^/]+)/drive", self.user_drive)
        r(router, "GET", r"/users/(?P<user>[^/]+)/drives", self.user_drives)
        r(router, "GET", DRIVE, self.get_drive)
        r(router, "GET", DRIVE + r"/root", self.get_item)
        r(router, "GET", ITEM, self.get_item)
        r(router, "GET", PATH, self.get_item)
        r(router, "GET", DRIVE + r"/root/children", self.children)
        r(router, "GET", ITEM + r"/children", self.children)
        r(router, "GET", DRIVE + r"/root:/(?P<path>[^:]+):/children", self.children)
        r(router, "GET", DRIVE + r"/root:/(?P<path>[^:]+):/content", self.content)
        r(router, "GET", DRIVE + r"/root/delta(?:\(\))?", self.delta)
        r(router, "GET", ITEM + r"/content", self.content)
        r(router, "GET", ITEM + r"/permissions", self.permissions)
        r(router, "GET", DRIVE + r"/root/permissions", self.permissions)
        r(router, "PUT", CHILD + r"/content", self.upload_small, write=True)
        r(router, "PUT", ROOT_CHILD + r"/content", self.upload_small, write=True)
        r(router, "PUT", ITEM + r"/content", self.replace_content, write=True)
        r(router, "POST", CHILD + r"/createUploadSession", self.create_session, write=True)
        r(router, "POST", ROOT_CHILD + r"/createUploadSession", self.create_session, write=True)
        r(router, "POST", DRIVE + r"/root/children", self.create_child, write=True)
        r(router, "POST", ITEM + r"/children", self.create_child, write=True)
        r(router, "DELETE", ITEM, self.delete, write=True)
        r(router, "PATCH", ITEM, self.update, write=True)
        for method in ("GET", "PUT", "POST", "DELETE", "PATCH"):
            r(router, method, r"/(?P<owner>users|sites|groups)/(?P<key>[^/]+)/drive/(?P<rest>.+)",
              self._alias(router), write=method != "GET")
        router.add("GET", r"/_layouts/15/download\.aspx", self.download)
        router.add("PUT", r"/up/(?P<session>[^/]+)", self.upload_fragment)
        router.add("GET", r"/up/(?P<session>[^/]+)", self.upload_status)
        router.add("DELETE", r"/up/(?P<session>[^/]+)", self.cancel_upload)

    def _alias(self, router: Router) -> common.Handler:
        """``/users/{id}/drive/...``, ``/sites/{id}/drive/...``, ``/groups/{id}/drive/...`` = ``/drives/{id}/...``."""

        def handler(request: Request, issued: IssuedToken) -> Response:
            drive = self._drive_of_owner(issued.tenant, request.params["owner"], request.params["key"])
            if isinstance(drive, Response):
                return drive
            request.path = f"/v1.0/drives/{drive.id}/{request.params['rest']}"
            found = router.match(request.method, request.path)
            if found is None:
                return graph_error(400, "BadRequest", "Resource not found for the segment 'drive'.")
            inner, params = found
            request.params = params
            return inner(request)

        return handler

    def _drive_of_owner(self, tenant: str, owner: str, key: str) -> Drive | Response:
        if owner == "users":
            return self.user_drive_of(tenant, key)
        site_key = key
        if owner == "groups":
            team = self.store.teams.get(key)
            site_key = team.site_id if team is not None and team.tenant == tenant else ""
        site = self.store.sites.get(site_key)
        library = next((x for x in site.lists.values() if x.drive_id), None) if site and site.tenant == tenant \
            else None
        if library is None:
            return common.not_found("itemNotFound", "The site or group has no document library.")
        return self.drives.drives[library.drive_id or ""]

    # --- lookups ----------------------------------------------------------------------------
    def _drive(self, request: Request, issued: IssuedToken) -> Drive | Response:
        drive = self.drives.drives.get(request.params["drive"])
        if drive is None or drive.tenant != issued.tenant:
            return common.not_found("itemNotFound", "The provided drive id appears to be malformed, "
                                                    "or does not represent a valid drive.")
        return drive

    def _item(self, request: Request, issued: IssuedToken) -> tuple[Drive, DriveItem] | Response:
        drive = self._drive(request, issued)
        if isinstance(drive, Response):
            return drive
        if "path" in request.params:
            item = drive.by_path(request.params["path"])
        else:
            item = drive.item(request.params.get("item") or drive.root_id)
            if request.params.get("item") == "root":
                item = drive.item(drive.root_id)
        if item is None:
            return common.not_found("itemNotFound", "The resource could not be found.")
        return drive, item

    def user_drive_of(self, tenant: str, user_key: str) -> Drive | Response:
        user = self.store.user(tenant, user_key)
        if user is None:
            return graph_error(404, "ResourceNotFound", "User not found")
        drive = self.store.user_drive(tenant, user)
        if drive is None:
            return graph_error(404, "ResourceNotFound", "User's mysite not found.")
        return drive

    # --- shapes -----------------------------------------------------------------------------
    def item_json(self, drive: Drive, item: DriveItem, request: Request, in_delta: bool = False) -> dict[str, Any]:
        """The driveItem; in a delta ``parentReference`` has no ``path`` (as documented for delta)."""
        row: dict[str, Any] = {
            "id": item.id,
            "name": item.name,
            "eTag": f'"{{{item.guid}}},{item.version}"',
            "cTag": f'"c:{{{item.guid}}},{item.content_version}"',
            "createdDateTime": item.created,
            "lastModifiedDateTime": item.modified,
            "size": len(item.content) if not item.is_folder else drive.folder_size(item),
            "webUrl": drive.web_url + drive.path_of(item),
            "createdBy": {"user": dict(item.owner)},
            "lastModifiedBy": {"user": dict(item.owner)},
            "fileSystemInfo": {"createdDateTime": item.created, "lastModifiedDateTime": item.modified},
        }
        if item.parent_id is not None:
            parent = drive.item(item.parent_id)
            reference = {"driveType": drive.drive_type, "driveId": drive.id, "id": item.parent_id}
            if not in_delta:
                reference["path"] = "/drive/root:" + (drive.path_of(parent) if parent else "")
            if drive.site_id:
                reference["siteId"] = drive.site_id
            row["parentReference"] = reference
        else:
            row["root"] = {}
            row["name"] = "root"
            row["parentReference"] = {"driveType": drive.drive_type, "driveId": drive.id}
        shared = [p for p in item.permissions if "owner" not in (p.get("roles") or [])]
        if shared:  # the shared facet: the item has permissions or links beyond its owner's
            scopes = {str((p.get("link") or {}).get("scope") or "users") for p in shared}
            row["shared"] = {"owner": {"user": dict(item.owner)},
                             "scope": next(s for s in ("anonymous", "organization", "users") if s in scopes
                                           or s == "users")}
        if item.is_folder:
            row["folder"] = {"childCount": len(drive.kids.get(item.id, {}))}
        else:
            row["file"] = {"mimeType": mime_type(item.name), "hashes": {"quickXorHash": item.quick_xor}}
            token = self.drives.download_token(drive, item)
            row["@microsoft.graph.downloadUrl"] = (f"{request.base_url}/_layouts/15/download.aspx?"
                                                   f"UniqueId={item.guid}&tempauth={token}")
        return row

    @staticmethod
    def drive_json(drive: Drive) -> dict[str, Any]:
        return drive_json(drive)

    # --- reads ------------------------------------------------------------------------------
    def user_drive(self, request: Request, issued: IssuedToken) -> Response:
        drive = self.user_drive_of(issued.tenant, request.params["user"])
        if isinstance(drive, Response):
            return drive
        return common.entity("drives", self.drive_json(drive), request)

    def user_drives(self, request: Request, issued: IssuedToken) -> Response:
        drive = self.user_drive_of(issued.tenant, request.params["user"])
        if isinstance(drive, Response):
            return drive
        return common.collection(request, "drives", [self.drive_json(drive)])

    def get_drive(self, request: Request, issued: IssuedToken) -> Response:
        drive = self._drive(request, issued)
        if isinstance(drive, Response):
            return drive
        return common.entity("drives", self.drive_json(drive), request)

    def get_item(self, request: Request, issued: IssuedToken) -> Response:
        found = self._item(request, issued)
        if isinstance(found, Response):
            return found
        drive, item = found
        return common.entity(f"drives('{drive.id}')/items", self.item_json(drive, item, request), request)

    def children(self, request: Request, issued: IssuedToken) -> Response:
        found = self._item(request, issued)
        if isinstance(found, Response):
            return found
        drive, item = found
        return common.collection(request, f"drives('{drive.id}')/items('{item.id}')/children", drive.children(item),
                                 render=lambda child: self.item_json(drive, child, request))

    def delta(self, request: Request, issued: IssuedToken) -> Response:
        drive = self._drive(request, issued)
        if isinstance(drive, Response):
            return drive

        def removed(item_id: str) -> dict[str, Any]:
            return {"id": item_id, "deleted": {"state": "deleted"},
                    "parentReference": {"driveId": drive.id, "driveType": drive.drive_type}}

        def gone(feed: Feed) -> Response:
            fresh = f"{request.base_url}{request.path}"
            return graph_error(410, feed.invalid_code, "The sync state generation is not found. Resync required.",
                               {"Location": fresh})

        return common.delta(request, drive.feed, "Collection(driveItem)",
                            lambda item: self.item_json(drive, item, request, in_delta=True), removed,
                            default_size=200,
                            token_param="token", gone=gone)

    def content(self, request: Request, issued: IssuedToken) -> Response:
        found = self._item(request, issued)
        if isinstance(found, Response):
            return found
        drive, item = found
        if item.is_folder:
            return graph_error(400, "invalidRequest", "Cannot download a folder.")
        url = self.item_json(drive, item, request)["@microsoft.graph.downloadUrl"]
        return Response(302, b"", {"Location": url})

    def permissions(self, request: Request, issued: IssuedToken) -> Response:
        found = self._item(request, issued)
        if isinstance(found, Response):
            return found
        drive, item = found
        return common.collection(request, f"drives('{drive.id}')/items('{item.id}')/permissions",
                                 list(item.permissions))

    def download(self, request: Request) -> Response:
        """The pre-authenticated download URL: no bearer token, short-lived (401 once expired)."""
        link = self.drives.download_link(request.arg("tempauth") or "")
        if link is None or link.expires_at < time.time():
            return graph_error(401, "unauthenticated", "The download URL has expired or is not valid.")
        drive = self.drives.drives.get(link.drive_id)
        item = drive.item(link.item_id) if drive else None
        if item is None:
            return graph_error(404, "itemNotFound", "The resource could not be found.")
        headers = {"Content-Type": mime_type(item.name), "ETag": f'"{{{item.guid}}},{item.version}"',
                   "Accept-Ranges": "bytes"}
        wanted = DOWNLOAD_RANGE.fullmatch(request.headers.get("range", "").strip())
        if wanted is None:
            return Response(200, body(item.content, 0, len(item.content)), headers)
        size = len(item.content)
        first, last = wanted.groups()
        start = int(first) if first else max(0, size - int(last or 0))
        end = min(int(last), size - 1) if first and last else size - 1
        if start >= size or start > end:
            return Response(416, b"", {"Content-Range": f"bytes */{size}"})
        return Response(206, body(item.content, start, end + 1), {**headers,
                                                                 "Content-Range": f"bytes {start}-{end}/{size}"})

    # --- writes -----------------------------------------------------------------------------
    def _conflict(self, request: Request, body: dict[str, Any] | None = None) -> str | Response:
        value = request.arg("@microsoft.graph.conflictBehavior")
        if body is not None:
            value = body.get("@microsoft.graph.conflictBehavior", value)
        if value is None:
            return "replace"
        if value not in CONFLICT:
            return common.bad_request(f"Invalid value '{value}' for @microsoft.graph.conflictBehavior.")
        return str(value)

    def _parent(self, request: Request, issued: IssuedToken) -> tuple[Drive, DriveItem, str] | Response:
        drive = self._drive(request, issued)
        if isinstance(drive, Response):
            return drive
        name = request.params["name"]
        folder, _, leaf = name.strip("/").rpartition("/")
        parent = drive.item(request.params["item"]) if "item" in request.params else drive.item(drive.root_id)
        if parent is not None and folder:
            parent = drive.by_path(drive.path_of(parent) + "/" + folder)
        if parent is None or not parent.is_folder:
            return common.not_found("itemNotFound", "The parent folder could not be found.")
        return drive, parent, leaf

    def upload_small(self, request: Request, issued: IssuedToken) -> Response:
        found = self._parent(request, issued)
        if isinstance(found, Response):
            return found
        drive, parent, name = found
        conflict = self._conflict(request)
        if isinstance(conflict, Response):
            return conflict
        if len(request.body) > 250 * 1024 * 1024:
            return graph_error(413, "requestTooLarge", "Use an upload session for files over 250 MB.")
        try:
            item, created = self.drives.put_file(drive, parent, name, request.body, conflict)
        except Conflict:
            return graph_error(409, "nameAlreadyExists", "The specified item name already exists.")
        return common.entity(f"drives('{drive.id}')/items", self.item_json(drive, item, request), status=201 if
                             created else 200)

    def replace_content(self, request: Request, issued: IssuedToken) -> Response:
        found = self._item(request, issued)
        if isinstance(found, Response):
            return found
        drive, item = found
        if item.is_folder:
            return graph_error(400, "invalidRequest", "Cannot upload content to a folder.")
        item.set_content(request.body)
        drive.feed.touch(item.id)
        return common.entity(f"drives('{drive.id}')/items", self.item_json(drive, item, request))

    def create_child(self, request: Request, issued: IssuedToken) -> Response:
        found = self._item(request, issued)
        if isinstance(found, Response):
            return found
        drive, parent = found
        body = request.json()
        if not isinstance(body, dict) or not body.get("name") or "folder" not in body:
            return common.bad_request("A folder needs a name and the folder facet.")
        conflict = self._conflict(request, body)
        if isinstance(conflict, Response):
            return conflict
        if request.arg("@microsoft.graph.conflictBehavior") is None and "@microsoft.graph.conflictBehavior" \
                not in body:
            conflict = "fail"
        existing = drive.child_named(parent, body["name"])
        if conflict == "replace" and existing is not None and existing.is_folder:
            # as the service does: the folder is kept as it is, with its content, and answered 200
            return common.entity(f"drives('{drive.id}')/items", self.item_json(drive, existing, request))
        try:
            if conflict == "replace" and existing is not None:
                self.drives.delete(drive, existing)
            folder = self.drives.make_folder(drive, parent, body["name"], "fail" if conflict == "replace"
                                             else conflict)
        except Conflict:
            return graph_error(409, "nameAlreadyExists", "The specified item name already exists.")
        return common.entity(f"drives('{drive.id}')/items", self.item_json(drive, folder, request), status=201)

    def update(self, request: Request, issued: IssuedToken) -> Response:
        """Rename (``name``): a metadata change, so the eTag moves and the cTag stays."""
        found = self._item(request, issued)
        if isinstance(found, Response):
            return found
        drive, item = found
        body = request.json()
        if not isinstance(body, dict) or not isinstance(body.get("name"), str) or not body["name"]:
            return common.bad_request("Only a new name can be set.")
        self.drives.rename(drive, item, body["name"])
        return common.entity(f"drives('{drive.id}')/items", self.item_json(drive, item, request))

    def delete(self, request: Request, issued: IssuedToken) -> Response:
        found = self._item(request, issued)
        if isinstance(found, Response):
            return found
        drive, item = found
        if item.parent_id is None:
            return graph_error(403, "accessDenied", "The root folder cannot be deleted.")
        self.drives.delete(drive, item)
        return Response(204)

    # --- upload sessions --------------------------------------------------------------------
    def create_session(self, request: Request, issued: IssuedToken) -> Response:
        found = self._parent(request, issued)
        if isinstance(found, Response):
            return found
        drive, parent, name = found
        body = request.json() if request.body else {}
        item = body.get("item", {}) if isinstance(body, dict) else {}
        conflict = self._conflict(request, item)
        if isinstance(conflict, Response):
            return conflict
        if conflict == "fail" and drive.child_named(parent, name) is not None:
            return graph_error(409, "nameAlreadyExists", "The specified item name already exists.")
        total = item.get("fileSize") if isinstance(item.get("fileSize"), int) else None
        session = self.drives.new_upload(drive, parent, name, conflict, total)
        return json_response(200, {
            "@odata.context": f"{common.ODATA}#microsoft.graph.uploadSession",
            "uploadUrl": f"{request.base_url}/up/{session.id}",
            "expirationDateTime": iso(session.expires_at),
            "nextExpectedRanges": ["0-"],
        })

    def _session_or_error(self, request: Request) -> Any:
        session = self.drives.uploads.get(request.params["session"])
        if session is None or session.expires_at < time.time():
            return graph_error(404, "itemNotFound", "The upload session was not found or has expired.")
        return session

    def upload_status(self, request: Request) -> Response:
        session = self._session_or_error(request)
        if isinstance(session, Response):
            return session
        return json_response(200, {"expirationDateTime": iso(session.expires_at),
                                   "nextExpectedRanges": [f"{len(session.received)}-"]})

    def cancel_upload(self, request: Request) -> Response:
        self.drives.uploads.pop(request.params["session"], None)
        return Response(204)

    def upload_fragment(self, request: Request) -> Response:
        """``PUT {uploadUrl}`` with ``Content-Range``; fragments in order, each under 60 MiB."""
        if "authorization" in request.headers:
            return graph_error(401, "unauthenticated", "The upload URL is pre-authenticated; "
                                                      "do not send an Authorization header.")
        with self.store.lock:
            session = self._session_or_error(request)
            if isinstance(session, Response):
                return session
            found = RANGE.fullmatch(request.headers.get("content-range", "").strip())
            if found is None:
                return graph_error(400, "invalidRequest", "Content-Range is missing or malformed.")
            start, end = int(found.group(1)), int(found.group(2))
            total = None if found.group(3) == "*" else int(found.group(3))
            if end - start + 1 != len(request.body) or end - start + 1 > MAX_FRAGMENT:
                return graph_error(400, "invalidRequest", "The Content-Range does not match the body length.")
            if start != len(session.received) or (session.total is not None and total not in (None, session.total)):
                return graph_error(416, "invalidRange", "The fragment does not start at the next expected byte.")
            if (total is None or end + 1 < total) and len(request.body) % FRAGMENT_UNIT:
                return graph_error(400, "invalidRequest", "Every fragment but the last must be a multiple of "
                                                          "320 KiB (327,680 bytes).")
            session.received += request.body
            session.total = total if total is not None else session.total
            if session.total is None or len(session.received) < session.total:
                return json_response(202, {"expirationDateTime": iso(session.expires_at),
                                           "nextExpectedRanges": [f"{len(session.received)}-"]})
            drive = self.drives.drives[session.drive_id]
            parent = drive.item(session.parent_id)
            del self.drives.uploads[session.id]
            if parent is None:
                return graph_error(404, "itemNotFound", "The parent folder no longer exists.")
            try:
                item, created = self.drives.put_file(drive, parent, session.name, bytes(session.received),
                                                     session.conflict)
            except Conflict:
                return graph_error(409, "nameAlreadyExists", "The specified item name already exists.")
            return json_response(201 if created else 200, self.item_json(drive, item, request))
