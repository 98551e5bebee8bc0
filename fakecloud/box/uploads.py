"""Chunked upload sessions of the Box emulator (below ``/api/2.0``, as on ``upload.box.com``).

``POST /files/upload_sessions`` (``folder_id``, ``file_size``, ``file_name``; at least ``MIN_SIZE`` bytes,
409 ``item_name_in_use`` for a taken name) and ``POST /files/{id}/upload_sessions`` (a new version) answer
an ``upload_session`` with ``part_size`` and ``session_endpoints``; ``PUT /files/upload_sessions/{id}``
takes one part (``Content-Range``, ``Digest: sha=<base64 sha1>``; every part but the last is ``part_size``
bytes); ``POST .../commit`` (``parts`` and the whole file's ``Digest``) creates the file (201), or answers
``202 Accepted`` with ``Retry-After`` while the parts are processed (``BoxStore.commits_pending`` times);
``DELETE`` aborts.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from fakecloud.box.errors import box_error
from fakecloud.box.shapes import full
from fakecloud.box.store import BoxStore, User
from fakecloud.web import Request, Response, Router, json_response

MIN_SIZE = 20_000_000
PART_SIZE = 8 * 1024 * 1024
RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)$")


@dataclass
class Session:
    id: str
    user: User
    folder: str
    name: str
    size: int
    file_id: str | None
    parts: dict[int, bytes] = field(default_factory=dict)  # offset -> bytes


def sha_digest(data: bytes) -> str:
    return "sha=" + base64.b64encode(hashlib.sha1(data).digest()).decode()


class UploadSessions:
    def __init__(self, store: BoxStore, user_of: Any) -> None:
        self.store = store
        self.user_of = user_of  # request -> User | Response (the API's As-User check)
        self.sessions: dict[str, Session] = {}

    def register(self, router: Router) -> None:
        router.add("POST", r"/api/2\.0/files/upload_sessions", self.create)
        router.add("POST", r"/api/2\.0/files/(?P<id>\d+)/upload_sessions", self.create)
        router.add("PUT", r"/api/2\.0/files/upload_sessions/(?P<sid>[A-F0-9]+)", self.part)
        router.add("POST", r"/api/2\.0/files/upload_sessions/(?P<sid>[A-F0-9]+)/commit", self.commit)
        router.add("DELETE", r"/api/2\.0/files/upload_sessions/(?P<sid>[A-F0-9]+)", self.abort)

    def create(self, request: Request) -> Response:
        user = self.user_of(request)
        if isinstance(user, Response):
            return user
        body = request.json()
        size = int(body.get("file_size") or 0)
        if size < MIN_SIZE:
            return box_error(400, "file_size_too_small", f"File size {size} less than minimum allowed for this API: "
                                                         f"{MIN_SIZE}")
        with self.store.lock:
            file_id = request.params.get("id")
            if file_id:
                node = user.nodes.get(file_id)
                if node is None or node.type != "file":
                    return box_error(404, "not_found", "Could not find the specified resource")
                folder, name = node.parent, str(body.get("file_name") or node.name)
            else:
                folder, name = str(body.get("folder_id") or ""), str(body.get("file_name") or "")
                if folder not in user.nodes or user.nodes[folder].type != "folder":
                    return box_error(404, "not_found", "Could not find the specified resource")
                existing = self.store.child(user, folder, name)
                if existing is not None:
                    return box_error(409, "item_name_in_use", "Item with the same name already exists",
                                     {"conflicts": {"type": existing.type, "id": existing.id, "name": existing.name}})
            sid = secrets.token_hex(16).upper()
            self.sessions[sid] = Session(sid, user, folder, name, size, file_id)
        base = f"{request.base_url}/api/2.0/files/upload_sessions/{sid}"
        return json_response(201, {
            "id": sid, "type": "upload_session", "session_expires_at": "2099-01-01T00:00:00+00:00",
            "part_size": PART_SIZE, "total_parts": -(-size // PART_SIZE), "num_parts_processed": 0,
            "session_endpoints": {"upload_part": base, "commit": f"{base}/commit", "abort": base,
                                  "list_parts": f"{base}/parts", "status": base, "log_event": f"{base}/log"}})

    def _session(self, request: Request) -> Session | Response:
        session = self.sessions.get(request.params["sid"])
        if session is None:
            return box_error(404, "not_found", "Could not find the specified resource")
        user = self.user_of(request)
        if isinstance(user, Response):
            return user
        if user.id != session.user.id:
            return box_error(403, "access_denied_insufficient_permissions", "Access denied - insufficient permission")
        return session

    def part(self, request: Request) -> Response:
        session = self._session(request)
        if isinstance(session, Response):
            return session
        found = RANGE.match(request.headers.get("content-range", ""))
        if found is None:
            return box_error(400, "bad_request", "Content-Range is missing or invalid")
        start, end, total = (int(g) for g in found.groups())
        data = request.body
        if total != session.size or end >= total or end - start + 1 != len(data) or start % PART_SIZE:
            return box_error(416, "range_not_satisfiable", "The Content-Range does not fit the session")
        if len(data) != PART_SIZE and end != total - 1:
            return box_error(416, "range_not_satisfiable", "Only the last part may be smaller than part_size")
        if request.headers.get("digest") != sha_digest(data):
            return box_error(412, "precondition_failed", "The digest of the part does not match")
        session.parts[start] = data
        part = {"part_id": secrets.token_hex(4).upper(), "offset": start, "size": len(data),
                "sha1": hashlib.sha1(data).hexdigest()}
        return json_response(200, {"part": part})

    def commit(self, request: Request) -> Response:
        session = self._session(request)
        if isinstance(session, Response):
            return session
        with self.store.lock:
            if self.store.commits_pending > 0:  # the parts are still being processed: retry later
                self.store.commits_pending -= 1
                return Response(202, b"", {"Retry-After": f"{self.store.retry_after:g}"})
        data = b"".join(session.parts[k] for k in sorted(session.parts))
        if len(data) != session.size:
            return box_error(412, "precondition_failed", f"{len(data)} of {session.size} bytes were uploaded")
        if request.headers.get("digest") != sha_digest(data):
            return box_error(412, "precondition_failed", "The digest of the file does not match")
        if len(request.json().get("parts") or []) != len(session.parts):
            return box_error(400, "bad_request", "The parts list does not match the uploaded parts")
        with self.store.lock:
            user = session.user
            node = user.nodes.get(session.file_id) if session.file_id else None
            if node is None and self.store.child(user, session.folder, session.name) is not None:
                existing = self.store.child(user, session.folder, session.name)
                assert existing is not None
                return box_error(409, "item_name_in_use", "Item with the same name already exists",
                                 {"conflicts": {"type": existing.type, "id": existing.id, "name": existing.name}})
            node = self.store.put_file(user, session.folder, session.name, data, node)
            self.sessions.pop(session.id, None)
            return json_response(201, {"total_count": 1, "entries": [full(self.store, user, node)]})

    def abort(self, request: Request) -> Response:
        session = self._session(request)
        if isinstance(session, Response):
            return session
        self.sessions.pop(session.id, None)
        return Response(204, b"", {})
