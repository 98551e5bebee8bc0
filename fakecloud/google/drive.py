"""Drive API v3 (drive.v3.json): files.list/get (alt=media)/export/create (multipart upload)/update,
permissions.list, revisions.list/get, drives.list, changes.getStartPageToken/list.

``q`` understands what backup and restore ask: ``'<id>' in parents``, ``name = '<name>'``,
``mimeType = '<type>'`` / ``mimeType != '<type>'`` and ``trashed = true|false`` joined by ``and``. Native Google files export to OOXML and PDF; an export
past :data:`EXPORT_LIMIT` answers 403 ``exportSizeLimitExceeded`` like Drive does.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Callable
from typing import Any

from fakecloud import tokens
from fakecloud.google.auth import authorize
from fakecloud.google.errors import api_error
from fakecloud.google.store import GoogleStore
from fakecloud.google.workspace import EXPORT_LIMIT, FOLDER, DriveFile, Workspace, now_rfc3339
from fakecloud.web import Request, Response, Router, json_response

SCOPES = {"https://www.googleapis.com/auth/drive", "https://www.googleapis.com/auth/drive.readonly"}
FILES = r"/drive/v3/files"
FILE = FILES + r"/(?P<file>[^/]+)"
OOXML = {"application/vnd.google-apps.document": (
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "word/document.xml"),
         "application/vnd.google-apps.spreadsheet": (
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xl/workbook.xml"),
         "application/vnd.google-apps.presentation": (
             "application/vnd.openxmlformats-officedocument.presentationml.presentation", "ppt/presentation.xml"),
         "application/vnd.google-apps.drawing": ("image/svg+xml", "")}
PDF = "application/pdf"

Handler = Callable[[Request, str], Response]


def export_bytes(row: DriveFile, mime: str) -> bytes | None:
    """What files.export answers for ``row`` as ``mime`` (deterministic for a given content)."""
    ooxml = OOXML.get(row.mime_type)
    if ooxml is None:
        return None
    if mime == PDF:
        return b"%PDF-1.4\n% " + row.name.encode() + b"\n" + row.content + b"\n%%EOF\n"
    if mime != ooxml[0]:
        return None
    if not ooxml[1]:
        return b"<svg xmlns='http://www.w3.org/2000/svg'><!-- " + row.content + b" --></svg>"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo(ooxml[1], date_time=(2026, 1, 1, 0, 0, 0))
        archive.writestr(info, row.content)
    return buffer.getvalue()


def parse_q(q: str) -> tuple[str | None, str | None, bool | None]:
    parent = re.search(r"'([^']+)'\s+in\s+parents", q)
    name = re.search(r"name\s*=\s*'((?:[^'\\]|\\.)*)'", q)
    trashed = re.search(r"trashed\s*=\s*(true|false)", q)
    return (parent.group(1) if parent else None, name.group(1).replace("\\'", "'") if name else None,
            None if trashed is None else trashed.group(1) == "true")


def mime_q(q: str) -> tuple[str, str] | None:
    """``("=", type)`` or ``("!=", type)`` for a ``mimeType`` term of ``q``."""
    found = re.search(r"mimeType\s*(!=|=)\s*'([^']+)'", q)
    return (found.group(1), found.group(2)) if found else None


def multipart(request: Request) -> tuple[dict[str, Any], bytes]:
    """(metadata, content) of a ``multipart/related`` upload body."""
    boundary = request.headers.get("content-type", "").partition("boundary=")[2].strip('"')
    if not boundary:
        raise ValueError("multipart upload without a boundary")
    parts = request.body.split(b"--" + boundary.encode())
    bodies = []
    for part in parts[1:]:
        if part.startswith(b"--"):
            break
        _head, _sep, body = part.partition(b"\r\n\r\n")
        bodies.append(body[:-2] if body.endswith(b"\r\n") else body)
    if len(bodies) != 2:
        raise ValueError("a multipart upload has two parts: metadata and media")
    return json.loads(bodies[0] or b"{}"), bodies[1]


class DriveService:
    def __init__(self, store: GoogleStore) -> None:
        self.store = store

    @property
    def ws(self) -> Workspace:
        return self.store.workspace

    def register(self, router: Router) -> None:
        router.add("GET", FILES, self._auth(self.list_files))
        router.add("POST", FILES, self._auth(self.create_metadata))
        router.add("POST", r"/upload/drive/v3/files", self._auth(self.upload))
        router.add("PATCH", r"/upload/drive/v3/files/(?P<file>[^/]+)", self._auth(self.update_content))
        router.add("PUT", r"/upload/drive/v3/files", self._auth(self.resumable_put))
        router.add("GET", r"/drive/v3/changes/startPageToken", self._auth(self.start_token))
        router.add("GET", r"/drive/v3/changes", self._auth(self.list_changes))
        router.add("GET", r"/drive/v3/drives", self._auth(self.list_drives))
        router.add("GET", FILE + r"/export", self._auth(self.export))
        router.add("GET", FILE + r"/permissions", self._auth(self.permissions))
        router.add("GET", FILE + r"/revisions", self._auth(self.revisions))
        router.add("GET", FILE + r"/revisions/(?P<rev>[^/]+)", self._auth(self.revision))
        router.add("GET", FILE, self._auth(self.get_file))

    def _auth(self, handler: Handler) -> Callable[[Request], Response]:
        def wrapped(request: Request) -> Response:
            issued = authorize(self.store, request, SCOPES)
            if isinstance(issued, Response):
                return issued
            if self.store.user(issued.subject) is None:
                return api_error(401, "unauthorized_client", "Delegation denied for " + issued.subject)
            with self.store.lock:
                return handler(request, issued.subject.lower())

        return wrapped

    def _file(self, request: Request, email: str) -> DriveFile | Response:
        row = self.ws.files.get(request.params["file"])
        if row is None or not self.ws.visible(email, row):
            return api_error(404, "notFound", f"File not found: {request.params['file']}.", "global")
        if row.drive_id and (request.arg("supportsAllDrives") or "false") != "true":
            return api_error(404, "notFound", f"File not found: {row.id}.")
        return row

    def resource(self, row: DriveFile, email: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": "drive#file", "id": row.id, "name": row.name, "mimeType": row.mime_type,
            "parents": [row.parent], "trashed": row.trashed, "createdTime": row.created,
            "modifiedTime": row.modified, "version": str(row.version), "description": row.description,
            "owners": [] if row.drive_id else [{"kind": "drive#user", "emailAddress": row.owner,
                                                "displayName": row.owner.split("@")[0], "me": row.owner == email}],
        }
        if row.drive_id:
            body["driveId"] = row.drive_id
            body["permissionIds"] = [p["id"] for p in row.permissions]
        else:
            body["permissions"] = row.permissions
        if not row.is_folder and not row.is_native:
            body.update({"size": str(len(row.content)), "md5Checksum": hashlib.md5(row.content).hexdigest(),
                         "sha256Checksum": hashlib.sha256(row.content).hexdigest(),
                         "headRevisionId": row.revisions[-1].id if row.revisions else None})
        if row.is_native:
            body["exportLinks"] = {mime: f"/drive/v3/files/{row.id}/export?mimeType={mime}"
                                   for mime in (OOXML[row.mime_type][0], PDF)}
        return body

    # --- files ------------------------------------------------------------------------
    def list_files(self, request: Request, email: str) -> Response:
        parent, name, trashed = parse_q(request.arg("q") or "")
        corpora = request.arg("corpora") or "user"
        drive_id = request.arg("driveId") or ""
        all_drives = (request.arg("includeItemsFromAllDrives") or "false") == "true"
        if drive_id or corpora in ("drive", "allDrives"):
            if not all_drives or (request.arg("supportsAllDrives") or "false") != "true":
                return api_error(403, "teamDrivesParameterRequired",
                                 "The includeItemsFromAllDrives parameter must be set to true when driveId is set.")
            if corpora == "drive" and drive_id not in self.ws.drives:
                return api_error(404, "notFound", f"Shared drive not found: {drive_id}")
        rows = [r for r in self.ws.files.values() if self.ws.visible(email, r)]
        if corpora == "drive":
            rows = [r for r in rows if r.drive_id == drive_id]
        elif corpora == "user":
            rows = [r for r in rows if not r.drive_id or all_drives]
        if parent is not None:
            rows = [r for r in rows if r.parent == (self.ws.root_of(email) if parent == "root" else parent)]
        if name is not None:
            rows = [r for r in rows if r.name == name]
        if trashed is not None:
            rows = [r for r in rows if r.trashed == trashed]
        mime = mime_q(request.arg("q") or "")
        if mime is not None:
            rows = [r for r in rows if (r.mime_type == mime[1]) == (mime[0] == "=")]
        rows.sort(key=lambda r: (r.created, r.id))
        state = tokens.decode(request.arg("pageToken") or "") or {"o": 0}
        offset, size = int(state.get("o", 0)), max(1, min(int(request.arg("pageSize") or 100), 1000))
        body: dict[str, Any] = {"kind": "drive#fileList", "incompleteSearch": False,
                                "files": [self.resource(r, email) for r in rows[offset:offset + size]]}
        if offset + size < len(rows):
            body["nextPageToken"] = tokens.encode({"o": offset + size})
        return json_response(200, body)

    def get_file(self, request: Request, email: str) -> Response:
        if request.params["file"] == "root":
            root = self.ws.root_of(email)
            return json_response(200, {"kind": "drive#file", "id": root, "name": "My Drive", "mimeType": FOLDER})
        row = self._file(request, email)
        if isinstance(row, Response):
            return row
        if request.arg("alt") == "media":
            if row.is_native:
                return api_error(403, "fileNotDownloadable",
                                 "Only files with binary content can be downloaded. Use Export with Docs Editors "
                                 "files.")
            if row.is_folder:
                return api_error(403, "fileNotDownloadable", "Only files with binary content can be downloaded.")
            return Response(200, row.content, {"Content-Type": row.mime_type})
        return json_response(200, self.resource(row, email))

    def export(self, request: Request, email: str) -> Response:
        row = self._file(request, email)
        if isinstance(row, Response):
            return row
        mime = request.arg("mimeType") or ""
        data = export_bytes(row, mime)
        if data is None:
            return api_error(400, "badRequest", f"The requested conversion is not supported: {mime}")
        if (row.export_size or len(data)) > EXPORT_LIMIT:
            return api_error(403, "exportSizeLimitExceeded", "This file is too large to be exported.")
        return Response(200, data, {"Content-Type": mime})

    def permissions(self, request: Request, email: str) -> Response:
        row = self._file(request, email)
        if isinstance(row, Response):
            return row
        return json_response(200, {"kind": "drive#permissionList", "permissions": row.permissions})

    def revisions(self, request: Request, email: str) -> Response:
        row = self._file(request, email)
        if isinstance(row, Response):
            return row
        return json_response(200, {"kind": "drive#revisionList", "revisions": [
            {"kind": "drive#revision", "id": rev.id, "modifiedTime": rev.modified, "mimeType": row.mime_type,
             "size": str(len(rev.content)), "md5Checksum": hashlib.md5(rev.content).hexdigest(),
             "keepForever": False} for rev in row.revisions]})

    def revision(self, request: Request, email: str) -> Response:
        row = self._file(request, email)
        if isinstance(row, Response):
            return row
        rev = next((r for r in row.revisions if r.id == request.params["rev"]), None)
        if rev is None:
            return api_error(404, "notFound", f"Revision not found: {request.params['rev']}.")
        if request.arg("alt") == "media":
            return Response(200, rev.content, {"Content-Type": row.mime_type})
        return json_response(200, {"kind": "drive#revision", "id": rev.id, "modifiedTime": rev.modified})

    def _parent(self, metadata: dict[str, Any], email: str) -> str:
        parents = metadata.get("parents") or ["root"]
        parent = str(parents[0])
        if parent == "root":
            return self.ws.root_of(email)
        row = self.ws.files.get(parent)
        if (row is None or not row.is_folder) and parent not in self.ws.drives:
            raise KeyError(parent)
        return parent

    def create_metadata(self, request: Request, email: str) -> Response:
        metadata = request.json()
        try:
            parent = self._parent(metadata, email)
        except KeyError as exc:
            return api_error(404, "notFound", f"File not found: {exc.args[0]}.")
        drive = self.ws.files[parent].drive_id if parent in self.ws.files else (
            parent if parent in self.ws.drives else "")
        row = self.ws.add_file(email, str(metadata.get("name") or "Untitled"),
                               str(metadata.get("mimeType") or "application/octet-stream"), parent, b"", drive,
                               str(metadata.get("description") or ""))
        return json_response(200, self.resource(row, email))

    def upload(self, request: Request, email: str) -> Response:
        kind = request.arg("uploadType") or ""
        if kind == "resumable":
            return self.resumable_start(request, email, None)
        if kind != "multipart":
            return api_error(400, "badRequest", f"Unsupported uploadType: {kind or 'missing'}")
        try:
            metadata, content = multipart(request)
            parent = self._parent(metadata, email)
        except ValueError as exc:
            return api_error(400, "badRequest", str(exc))
        except KeyError as exc:
            return api_error(404, "notFound", f"File not found: {exc.args[0]}.")
        drive = self.ws.files[parent].drive_id if parent in self.ws.files else (
            parent if parent in self.ws.drives else "")
        row = self.ws.add_file(email, str(metadata.get("name") or "Untitled"),
                               str(metadata.get("mimeType") or "application/octet-stream"), parent, content, drive,
                               str(metadata.get("description") or ""))
        return json_response(200, self.resource(row, email))

    def update_content(self, request: Request, email: str) -> Response:
        row = self._file(request, email)
        if isinstance(row, Response):
            return row
        if request.arg("uploadType") == "resumable":
            return self.resumable_start(request, email, row)
        self.ws.write_file(row, request.body)
        return json_response(200, self.resource(row, email))

    # --- resumable uploads (the protocol of https://developers.google.com/drive/api/guides/manage-uploads) ---
    def resumable_start(self, request: Request, email: str, row: DriveFile | None) -> Response:
        metadata = request.json() if request.body else {}
        parent = ""
        if row is None:
            try:
                parent = self._parent(metadata, email)
            except KeyError as exc:
                return api_error(404, "notFound", f"File not found: {exc.args[0]}.")
        upload_id = tokens.new_id(18)
        self.ws.uploads[upload_id] = {"email": email, "metadata": metadata, "parent": parent,
                                      "file": row.id if row is not None else "", "data": bytearray()}
        location = f"{request.base_url}/upload/drive/v3/files?uploadType=resumable&upload_id={upload_id}"
        return Response(200, b"", {"Location": location, "X-GUploader-UploadID": upload_id})

    def resumable_put(self, request: Request, email: str) -> Response:
        session = self.ws.uploads.get(request.arg("upload_id") or "")
        if session is None or session["email"] != email:
            return api_error(404, "notFound", "The upload session was not found or has expired.")
        match = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+|\*)", request.headers.get("content-range", ""))
        data: bytearray = session["data"]
        if match is None or int(match.group(1)) != len(data) or int(match.group(2)) - int(match.group(1)) + 1 != len(
                request.body):
            return api_error(400, "badContentRange", f"Content-Range does not continue at byte {len(data)}")
        data += request.body
        if match.group(3) == "*" or len(data) < int(match.group(3)):
            return Response(308, b"", {"Range": f"bytes=0-{len(data) - 1}"})
        del self.ws.uploads[request.arg("upload_id") or ""]
        if session["file"]:
            row = self.ws.files[session["file"]]
            self.ws.write_file(row, bytes(data))
            return json_response(200, self.resource(row, email))
        metadata, parent = session["metadata"], session["parent"]
        drive = self.ws.files[parent].drive_id if parent in self.ws.files else (
            parent if parent in self.ws.drives else "")
        row = self.ws.add_file(email, str(metadata.get("name") or "Untitled"),
                               str(metadata.get("mimeType") or "application/octet-stream"), parent, bytes(data), drive,
                               str(metadata.get("description") or ""))
        return json_response(200, self.resource(row, email))

    # --- shared drives and changes ---------------------------------------------------
    def list_drives(self, request: Request, email: str) -> Response:
        admin = (request.arg("useDomainAdminAccess") or "false") == "true"
        user = self.store.user(email)
        if admin and (user is None or not user.is_admin):
            return api_error(403, "insufficientAdministratorPrivileges", "The user does not have sufficient "
                                                                        "administrative privileges.")
        rows = [d for d in self.ws.drives.values() if admin or email in d.members]
        return json_response(200, {"kind": "drive#driveList", "drives": [
            {"kind": "drive#drive", "id": d.id, "name": d.name} for d in rows]})

    def start_token(self, request: Request, email: str) -> Response:
        return json_response(200, {"kind": "drive#startPageToken", "startPageToken": str(self.ws.position)})

    def list_changes(self, request: Request, email: str) -> Response:
        token = request.arg("pageToken") or ""
        floor = self.ws.user(email).floors.get("drive:" + (request.arg("driveId") or ""), 0)
        if not token.isdigit() or int(token) < floor or int(token) > self.ws.position:
            return api_error(400, "invalid", "Invalid Value", "global")
        drive_id = request.arg("driveId") or ""
        size = max(1, min(int(request.arg("pageSize") or 100), 1000))
        seen: dict[str, Any] = {}
        last = int(token)
        for change in self.ws.changes:
            if change.position <= int(token):
                continue
            row = self.ws.files.get(change.file_id)
            if row is not None and (row.drive_id != drive_id or not self.ws.visible(email, row)):
                continue
            if row is None and not self._was_visible(change.file_id, drive_id, email):
                continue
            seen.pop(change.file_id, None)
            seen[change.file_id] = change
            last = change.position
            if len(seen) >= size:
                break
        rows = []
        for file_id in seen:
            row = self.ws.files.get(file_id)
            entry: dict[str, Any] = {"kind": "drive#change", "changeType": "file", "fileId": file_id,
                                     "removed": row is None, "time": now_rfc3339()}
            if row is not None:
                entry["file"] = self.resource(row, email)
            rows.append(entry)
        body: dict[str, Any] = {"kind": "drive#changeList", "changes": rows}
        more = any(c.position > last for c in self.ws.changes) and len(seen) >= size
        if more:
            body["nextPageToken"] = str(last)
        else:
            body["newStartPageToken"] = str(self.ws.position)
        return json_response(200, body)

    def _was_visible(self, file_id: str, drive_id: str, email: str) -> bool:
        removed = self.ws.removed.get(file_id)
        return removed is not None and removed[0] == drive_id and (bool(drive_id) or removed[1] == email)
