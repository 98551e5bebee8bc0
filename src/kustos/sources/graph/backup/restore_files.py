"""Write files and folders back into a user's OneDrive (the restore side of ``onedrive.py``).

Small files (up to ``SMALL``) go in one ``PUT .../root:/{path}:/content``; larger ones through an
upload session, read from the vault and sent in fragments of ``FRAGMENT`` bytes (a multiple of
320 KiB, as Graph requires), so memory stays flat whatever the file's size. Missing parent folders
are created one level at a time.

Conflict (an item of the same name already at the target path) per mode, with Graph's own
``@microsoft.graph.conflictBehavior``: ``skip`` → ``fail`` (409 = skipped, the existing file is
kept), ``copy`` → ``rename`` (Graph stores ``name 1.ext`` beside it), ``replace`` → ``replace``.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Callable
from typing import BinaryIO
from urllib.parse import quote

from kustos.sources.base import ConnectorError
from kustos.sources.graph.backup.session import GraphSession

SMALL = 4 * 1024 * 1024
UNIT = 320 * 1024
FRAGMENT = 10 * UNIT  # 3.2 MiB per ranged PUT
BEHAVIOUR = {"skip": "fail", "copy": "rename", "replace": "replace"}
RESTORED, SKIPPED = "restored", "skipped"


def behaviour(conflict: str) -> str:
    try:
        return BEHAVIOUR[conflict]
    except KeyError:
        raise ValueError(f"unknown conflict mode {conflict!r}; use skip, copy or replace") from None


def _read_exactly(stream: BinaryIO, size: int) -> bytes:
    parts, got = [], 0
    while got < size:
        piece = stream.read(size - got)
        if not piece:
            break
        parts.append(piece)
        got += len(piece)
    return b"".join(parts)


def _path_url(path: str) -> str:
    return quote(path.strip("/"), safe="/")


class FileRestorer:
    """Files and folders into a drive: ``drive`` is its Graph URL (``.../users/{id}/drive`` for a
    OneDrive, ``.../drives/{id}`` for a document library), ``key`` the throttle key (user or site)."""

    def __init__(self, session: GraphSession, fragment: int = FRAGMENT, small: int = SMALL) -> None:
        if fragment <= 0 or fragment % UNIT:
            raise ValueError(f"upload fragment {fragment} is not a positive multiple of 320 KiB")
        self.session = session
        self.http = session.http
        self.fragment = fragment
        self.small = small
        self._folders: dict[tuple[str, str], str] = {}  # (drive URL, folder path) -> item id

    def user_drive(self, user: str) -> str:
        return self.session.user_url(user, "/drive")

    def drive(self, drive_id: str) -> str:
        return f"{self.session.base}/drives/{quote(drive_id, safe='')}"

    def _json(self, method: str, url: str, user: str, body: object, ok: tuple[int, ...]) -> dict:
        response = self.http.request(method, url, key=user, content=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        return self.http.expect(response, ok).json()

    def folder(self, drive: str, user: str, path: str) -> str:
        """The id of folder ``path`` of the drive ("" = root), created level by level."""
        path = path.strip("/")
        key = (drive, path)
        if key in self._folders:
            return self._folders[key]
        if not path:
            found = self.http.get_json(drive + "/root", key=user)
            self._folders[key] = str(found["id"])
            return self._folders[key]
        parent_path, _, name = path.rpartition("/")
        response = self.http.request("GET", f"{drive}/root:/{_path_url(path)}:", key=user)
        if response.status_code == 200:
            row = response.json()
            if "folder" not in row:
                raise ConnectorError(f"{path!r} exists in the target drive and is not a folder")
            self._folders[key] = str(row["id"])
            return self._folders[key]
        if response.status_code != 404:
            raise self.http.on_error(response)
        parent = self.folder(drive, user, parent_path)
        row = self._json("POST", f"{drive}/items/{quote(parent, safe='')}/children", user,
                         {"name": name, "folder": {}, "@microsoft.graph.conflictBehavior": "replace"}, (200, 201))
        self._folders[key] = str(row["id"])
        return self._folders[key]

    def put(self, drive: str, user: str, path: str, size: int, open_content: Callable[[], BinaryIO],
            conflict: str) -> str:
        """Write the file at ``path``; returns ``restored`` or ``skipped`` (conflict mode ``skip``)."""
        mode = behaviour(conflict)
        path = path.strip("/")
        parent, _, name = path.rpartition("/")
        if not name:
            raise ValueError("a file restore needs a file name")
        self.folder(drive, user, parent)
        target = f"{drive}/root:/{_path_url(path)}:"
        if size <= self.small:
            with open_content() as stream:
                data = _read_exactly(stream, size)
            if len(data) != size:
                raise ConnectorError(f"the backed-up content of {path!r} is {len(data)} bytes, expected {size}")
            response = self.http.request("PUT", f"{target}/content", key=user, content=data,
                                         params={"@microsoft.graph.conflictBehavior": mode},
                                         headers={"Content-Type": "application/octet-stream"})
            if response.status_code == 409 and mode == "fail":
                return SKIPPED
            self.http.expect(response, (200, 201))
            return RESTORED
        return self._session_upload(user, path, target, size, open_content, mode)

    def _session_upload(self, user: str, path: str, target: str, size: int,
                        open_content: Callable[[], BinaryIO], mode: str) -> str:
        response = self.http.request(
            "POST", f"{target}/createUploadSession", key=user, headers={"Content-Type": "application/json"},
            content=json.dumps({"item": {"@microsoft.graph.conflictBehavior": mode}}).encode())
        if response.status_code == 409 and mode == "fail":
            return SKIPPED
        upload_url = str(self.http.expect(response, (200,)).json()["uploadUrl"])
        sent = 0
        try:
            with open_content() as stream:
                while sent < size:
                    piece = _read_exactly(stream, min(self.fragment, size - sent))
                    if not piece:
                        raise ConnectorError(f"the backed-up content of {path!r} ended at byte {sent} of {size}")
                    end = sent + len(piece) - 1
                    # The upload URL is pre-authenticated: no Authorization header (Graph refuses one).
                    answer = self.http.request("PUT", upload_url, key=user, auth=False, content=piece,
                                               headers={"Content-Range": f"bytes {sent}-{end}/{size}"})
                    sent = end + 1
                    if answer.status_code == 409 and mode == "fail":
                        return SKIPPED
                    self.http.expect(answer, (200, 201) if sent >= size else (202,))
                    # httpx keeps each request (holding the fragment) and its response in reference cycles
                    # that only the cyclic collector frees, usually once they reached the oldest
                    # generation: collect now, or memory would grow with the file.
                    del answer, piece
                    gc.collect()
        except BaseException:
            if sent < size:
                self.http.request("DELETE", upload_url, key=user, auth=False)
            raise
        return RESTORED
