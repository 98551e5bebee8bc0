"""The Box API routes of the emulator (paths as the Box OpenAPI, below ``/2.0``; uploads below ``/api/2.0``
as on ``upload.box.com``; token at ``/oauth2/token``).

* ``POST /oauth2/token`` client credentials grant with ``box_subject_type=enterprise``.
* ``GET /2.0/users`` (offset/limit, or ``usemarker=true`` + ``marker``), ``As-User`` on every user call.
* ``GET /2.0/folders/{id}/items`` (offset/limit or marker, ``fields``), ``GET /2.0/files/{id}``,
  ``GET /2.0/files/{id}/content`` → 302 to an expiring download URL (``/d/1/{token}/download``; expired: 403),
  ``GET /2.0/files/{id}/comments``, ``GET /2.0/files/{id}/metadata``; a file seeded ``not_ready`` answers
  ``202 Accepted`` with ``Retry-After`` that many times first.
* ``GET /2.0/events?stream_type=changes|admin_logs&stream_position=now|0|N``: an expired position answers
  400 ``invalid_stream_position``-style (``code`` ``bad_request``, ``context_info.errors``).
* ``POST /2.0/folders``, ``POST /api/2.0/files/content`` (multipart: ``attributes`` then ``file``) and
  ``POST /api/2.0/files/{id}/content`` (a new version); a name in use answers 409 ``item_name_in_use``.
* Chunked upload sessions for large files: ``uploads.py``; metadata templates and instances: ``metadata.py``;
  comments and collaborations (of files and folders): ``sharing.py``.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from fakecloud.box.errors import box_error
from fakecloud.box.metadata import MetadataService
from fakecloud.box.shapes import full, mini, pick, user_full, user_mini
from fakecloud.box.sharing import SharingService
from fakecloud.box.store import BoxStore, Node, User
from fakecloud.box.uploads import UploadSessions
from fakecloud.web import Request, Response, Router, json_response

MAX_LIMIT = 1000


class BoxService:
    def __init__(self, store: BoxStore) -> None:
        self.store = store

    def register(self, router: Router) -> None:
        router.add("POST", r"/oauth2/token", self.token)
        router.add("GET", r"/2\.0/users", self.users)
        router.add("GET", r"/2\.0/users/me", self.me)
        router.add("GET", r"/2\.0/folders/(?P<id>\d+)", self.folder)
        router.add("GET", r"/2\.0/folders/(?P<id>\d+)/items", self.items)
        router.add("POST", r"/2\.0/folders", self.create_folder)
        router.add("GET", r"/2\.0/files/(?P<id>\d+)", self.file)
        router.add("GET", r"/2\.0/files/(?P<id>\d+)/content", self.content)
        router.add("GET", r"/2\.0/files/(?P<id>\d+)/comments", self.comments)
        router.add("GET", r"/2\.0/files/(?P<id>\d+)/metadata", self.metadata)
        router.add("GET", r"/2\.0/events", self.events)
        router.add("GET", r"/d/1/(?P<token>[A-Za-z0-9_-]+)/download", self.download)
        router.add("POST", r"/api/2\.0/files/content", self.upload)
        router.add("POST", r"/api/2\.0/files/(?P<id>\d+)/content", self.upload_version)
        UploadSessions(self.store, self._user).register(router)
        MetadataService(self.store, self._enterprise, self._node).register(router)
        SharingService(self.store, self._user, self._node).register(router)

    # --- auth ----------------------------------------------------------------------------------
    def token(self, request: Request) -> Response:
        form = request.form()
        if form.get("grant_type") != "client_credentials":
            return json_response(400, {"error": "unsupported_grant_type",
                                       "error_description": "Grant type is unsupported"})
        with self.store.lock:
            app = self.store.apps.get(form.get("client_id", ""))
            if app is None or app[0] != form.get("client_secret"):
                return json_response(400, {"error": "invalid_client",
                                           "error_description": "The client credentials are invalid"})
            if form.get("box_subject_type") != "enterprise" or form.get("box_subject_id") != app[1]:
                return json_response(400, {"error": "invalid_grant",
                                           "error_description": "Grant credentials are invalid"})
            token = self.store.issue_token(app[1])
        return json_response(200, {"access_token": token, "expires_in": self.store.token_lifetime,
                                   "token_type": "bearer", "restricted_to": [],
                                   "issued_token_type": "urn:ietf:params:oauth:token-type:access_token"})

    def _enterprise(self, request: Request) -> str | Response:
        enterprise = self.store.token_enterprise(request.bearer())
        if enterprise is None:
            return Response(401, b"", {"WWW-Authenticate": 'Bearer realm="Service", error="invalid_token", '
                                                           'error_description="The access token provided is invalid."'})
        return enterprise

    def _user(self, request: Request) -> User | Response:
        enterprise = self._enterprise(request)
        if isinstance(enterprise, Response):
            return enterprise
        as_user = request.headers.get("as-user")
        if not as_user:
            return box_error(403, "access_denied_insufficient_permissions",
                             "The service account has no content; send As-User")
        user = self.store.enterprise(enterprise).users.get(as_user)
        if user is None:
            return box_error(403, "access_denied_insufficient_permissions", "Access denied - insufficient permission",
                             {"errors": [{"reason": "invalid_parameter", "name": "As-User",
                                          "message": f"Invalid value '{as_user}'."}]})
        return user

    def _node(self, request: Request, kind: str) -> tuple[User, Node] | Response:
        user = self._user(request)
        if isinstance(user, Response):
            return user
        node = user.nodes.get(request.params["id"])
        if node is None or node.type != kind:
            return box_error(404, "not_found", "Could not find the specified resource",
                             {"errors": [{"reason": "invalid_parameter", "name": f"{kind}_id",
                                          "message": f"Invalid value 'd_{request.params['id']}'. "
                                                     f"'{kind}_id' with value 'd_{request.params['id']}' not found"}]})
        return user, node

    # --- reading --------------------------------------------------------------------------------
    def users(self, request: Request) -> Response:
        enterprise = self._enterprise(request)
        if isinstance(enterprise, Response):
            return enterprise
        with self.store.lock:
            rows = [pick(user_full(u), request.arg("fields"))
                    for u in sorted(self.store.enterprise(enterprise).users.values(), key=lambda u: int(u.id))]
        return _page(request, rows, with_total=True)

    def me(self, request: Request) -> Response:
        user = self._user(request)
        if isinstance(user, Response):
            return user
        return json_response(200, user_full(user))

    def folder(self, request: Request) -> Response:
        with self.store.lock:
            found = self._node(request, "folder")
            if isinstance(found, Response):
                return found
            return json_response(200, pick(full(self.store, *found), request.arg("fields")))

    def items(self, request: Request) -> Response:
        with self.store.lock:
            found = self._node(request, "folder")
            if isinstance(found, Response):
                return found
            user, folder = found
            rows = [pick(full(self.store, user, n), request.arg("fields")) if request.arg("fields") else mini(n)
                    for n in self.store.children(user, folder.id)]
        return _page(request, rows, with_total=True,
                     extra={"order": [{"by": "type", "direction": "ASC"}, {"by": "name", "direction": "ASC"}]})

    def file(self, request: Request) -> Response:
        with self.store.lock:
            found = self._node(request, "file")
            if isinstance(found, Response):
                return found
            return json_response(200, pick(full(self.store, *found), request.arg("fields")))

    def content(self, request: Request) -> Response:
        with self.store.lock:
            found = self._node(request, "file")
            if isinstance(found, Response):
                return found
            user, node = found
            if node.not_ready > 0:  # uploaded just now: not ready for download yet
                node.not_ready -= 1
                return Response(202, b"", {"Retry-After": f"{self.store.retry_after:g}"})
            token = secrets.token_urlsafe(24)
            self.store.downloads[token] = (user.id, node.id, time.time() + self.store.download_lifetime)
        return Response(302, b"", {"Location": f"{request.base_url}/d/1/{token}/download"})

    def download(self, request: Request) -> Response:
        with self.store.lock:
            found = self.store.downloads.get(request.params["token"])
            if found is None or found[2] < time.time():
                return Response(403, b"Download link expired", {"Content-Type": "text/plain"})
            user = next((u for e in self.store.enterprises.values() for u in e.users.values() if u.id == found[0]),
                        None)
            node = user.nodes.get(found[1]) if user else None
            if node is None:
                return Response(404, b"", {})
            data = node.content
        wanted = request.headers.get("range", "")
        if wanted.startswith("bytes=") and data:
            start_text, _, end_text = wanted[6:].partition("-")
            start = int(start_text or 0)
            end = min(int(end_text), len(data) - 1) if end_text else len(data) - 1
            if start >= len(data):
                return Response(416, b"", {"Content-Range": f"bytes */{len(data)}"})
            return Response(206, data[start:end + 1], {"Content-Type": "application/octet-stream",
                                                       "Content-Range": f"bytes {start}-{end}/{len(data)}"})
        return Response(200, data, {"Content-Type": "application/octet-stream"})

    def comments(self, request: Request) -> Response:
        with self.store.lock:
            found = self._node(request, "file")
            if isinstance(found, Response):
                return found
            rows = list(found[1].comments)
        return _page(request, rows, with_total=True)

    def metadata(self, request: Request) -> Response:
        with self.store.lock:
            found = self._node(request, "file")
            if isinstance(found, Response):
                return found
            rows = list(found[1].metadata)
        return json_response(200, {"entries": rows, "limit": 100})

    def events(self, request: Request) -> Response:
        stream_type = request.arg("stream_type", "changes")
        with self.store.lock:
            if stream_type == "admin_logs":
                enterprise = self._enterprise(request)
                if isinstance(enterprise, Response):
                    return enterprise
                users = list(self.store.enterprise(enterprise).users.values())
            elif stream_type in ("changes", "all", "sync"):
                user = self._user(request)
                if isinstance(user, Response):
                    return user
                users = [user]
            else:
                return box_error(400, "bad_request", f"Invalid value '{stream_type}' for stream_type")
            position = request.arg("stream_position", "0") or "0"
            if position == "now":
                return json_response(200, {"chunk_size": 0, "next_stream_position": self.store.position(),
                                           "entries": []})
            try:
                start = int(position)
            except ValueError:
                return _expired(position)
            if start and any(start < u.event_floor for u in users):
                return _expired(position)
            limit = max(1, min(int(request.arg("limit", "100") or 100), 500))
            rows = sorted((e for u in users for e in u.events if e["position"] >= start),
                          key=lambda e: e["position"])[:limit]
            entries = [{k: v for k, v in e.items() if k != "position"} for e in rows]
            next_position = rows[-1]["position"] + 1 if rows else (start or self.store.position())
        return json_response(200, {"chunk_size": len(entries), "next_stream_position": next_position,
                                   "entries": entries})

    # --- writing --------------------------------------------------------------------------------
    def create_folder(self, request: Request) -> Response:
        user = self._user(request)
        if isinstance(user, Response):
            return user
        body = request.json()
        name, parent = str(body.get("name") or ""), str((body.get("parent") or {}).get("id") or "")
        with self.store.lock:
            if parent not in user.nodes or user.nodes[parent].type != "folder":
                return box_error(404, "not_found", "Could not find the specified resource")
            if not name or "/" in name or name in (".", ".."):
                return box_error(400, "item_name_invalid", "Item name invalid")
            existing = self.store.child(user, parent, name)
            if existing is not None:
                return _conflict(existing)
            node = self.store.add_folder(user, parent, name)
            return json_response(201, full(self.store, user, node))

    def upload(self, request: Request) -> Response:
        user = self._user(request)
        if isinstance(user, Response):
            return user
        parts = _multipart(request)
        if isinstance(parts, Response):
            return parts
        attributes, data = parts
        name, parent = str(attributes.get("name") or ""), str((attributes.get("parent") or {}).get("id") or "")
        with self.store.lock:
            if parent not in user.nodes or user.nodes[parent].type != "folder":
                return box_error(404, "not_found", "Could not find the specified resource")
            if not name or "/" in name:
                return box_error(400, "item_name_invalid", "Item name invalid")
            existing = self.store.child(user, parent, name)
            if existing is not None:
                return _conflict(existing)
            node = self.store.put_file(user, parent, name, data)
            return json_response(201, {"total_count": 1, "entries": [full(self.store, user, node)]})

    def upload_version(self, request: Request) -> Response:
        with self.store.lock:
            found = self._node(request, "file")
        if isinstance(found, Response):
            return found
        user, node = found
        if_match = request.headers.get("if-match")
        if if_match and if_match != str(node.etag):
            return box_error(412, "precondition_failed", "The resource has been modified. Please retrieve the "
                                                         "resource again and retry")
        parts = _multipart(request)
        if isinstance(parts, Response):
            return parts
        attributes, data = parts
        with self.store.lock:
            if attributes.get("name"):
                node.name = str(attributes["name"])
            self.store.put_file(user, node.parent, node.name, data, node)
            return json_response(200, {"total_count": 1, "entries": [full(self.store, user, node)]})


def _page(request: Request, rows: list[dict[str, Any]], *, with_total: bool,
          extra: dict[str, Any] | None = None) -> Response:
    try:
        limit = max(1, min(int(request.arg("limit", "100") or 100), MAX_LIMIT))
        if (request.arg("usemarker") or "").lower() == "true" or request.arg("marker"):
            start = int(request.arg("marker") or 0)
            chunk = rows[start:start + limit]
            after = start + len(chunk)
            return json_response(200, {"limit": limit, "next_marker": str(after) if after < len(rows) else None,
                                       "prev_marker": None, "entries": chunk, **(extra or {})})
        offset = max(0, int(request.arg("offset", "0") or 0))
    except ValueError:
        return box_error(400, "bad_request", "Invalid paging parameter")
    body: dict[str, Any] = {"total_count": len(rows), "limit": limit, "offset": offset,
                            "entries": rows[offset:offset + limit], **(extra or {})}
    if not with_total:
        body.pop("total_count")
    return json_response(200, body)


def _expired(position: str) -> Response:
    return box_error(400, "bad_request", "Invalid stream position",
                     {"errors": [{"reason": "invalid_parameter", "name": "stream_position",
                                  "message": f"Invalid value '{position}'. The stream position has expired."}]})


def _conflict(existing: Node) -> Response:
    return box_error(409, "item_name_in_use", "Item with the same name already exists",
                     {"conflicts": mini(existing) if existing.type == "file" else [mini(existing)]})


def _multipart(request: Request) -> tuple[dict[str, Any], bytes] | Response:
    ctype = request.headers.get("content-type", "")
    if "boundary=" not in ctype:
        return box_error(400, "bad_request", "Expected multipart/form-data")
    boundary = ctype.split("boundary=", 1)[1].split(";")[0].strip().strip('"').encode()
    attributes: dict[str, Any] | None = None
    data: bytes | None = None
    for part in request.body.split(b"--" + boundary)[1:]:
        if part.startswith(b"--"):
            break
        head, _, body = part.partition(b"\r\n\r\n")
        body = body[:-2] if body.endswith(b"\r\n") else body
        if b'name="attributes"' in head:
            if data is not None:
                return box_error(400, "metadata_after_file_contents", "Metadata after file contents")
            attributes = json.loads(body or b"{}")
        elif b'name="file"' in head:
            data = body
    if attributes is None or data is None:
        return box_error(400, "bad_request", "An upload needs the attributes and file parts")
    return attributes, data


__all__ = ["BoxService", "user_mini"]
