"""The restore side of a Google Workspace connection: Drive files and folders, calendar events,
contacts and tasks of a snapshot back into the same or another user.

``write(account, path, kind, size, meta, open_content, to_account=, to_path=, conflict=)``:
``account`` is the snapshot's account (``drive:<e-mail>``, ``drive:shared:<id>``,
``calendar:<e-mail>``, ...); the target user is ``to_account`` (an e-mail, with or without the
service prefix) or the account's own user. A shared drive's files go back into that shared drive
(written as one of its members named in the backed-up permissions), or with ``to_account`` into
that user's My Drive. The item's path is kept below ``to_path``.

Conflict (a Drive file of the same name already in the target folder): ``skip`` keeps the existing
file, ``copy`` uploads beside it as ``name 1.ext``, ``replace`` writes a new revision of the
existing file. Events go back into the calendar they came from, imported with their ``iCalUID``;
contacts (by ``resourceName``) and tasks (by id) that still exist are skipped or updated in place
(``restore_records.py``); Gmail messages are imported (``messages.import``, raw RFC 822 byte for
byte) with their labels (``restore_mail.py``). A Google file Drive could not export (past its 10 MB
export limit) has nothing to restore and says so.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping
from typing import Any, BinaryIO
from urllib.parse import quote

from kustos.sources.egress import EgressPolicy
from kustos.sources.google import session_for
from kustos.sources.google.drive import FOLDER
from kustos.sources.google.restore_mail import MailRestorer
from kustos.sources.google.restore_records import RecordRestoreError, RecordRestorer
from kustos.sources.google.session import GoogleSession

SERVICES = ("drive", "calendar", "contacts", "tasks", "gmail")
CONFLICTS = ("skip", "copy", "replace")
RESTORED, SKIPPED = "restored", "skipped"
SMALL = 5 * 1024 * 1024  # up to this, one multipart upload; larger files go through a resumable session
CHUNK = 32 * 256 * 1024  # 8 MiB per PUT (Drive wants multiples of 256 KiB)


def _read_exactly(stream: BinaryIO, size: int) -> bytes:
    parts, got = [], 0
    while got < size:
        piece = stream.read(size - got)
        if not piece:
            break
        parts.append(piece)
        got += len(piece)
    return b"".join(parts)


class RestoreError(RecordRestoreError):
    """An item this writer cannot put back (unsupported service or kind, bad target)."""


def _quote_q(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def split_name(name: str) -> tuple[str, str]:
    stem, dot, ext = name.rpartition(".")
    return (stem, f".{ext}") if dot and stem else (name, "")


class GoogleRestoreWriter:
    def __init__(self, session: GoogleSession) -> None:
        self.session = session
        self.http = session.http
        self._folders: dict[tuple[str, str], str] = {}
        self.mail = MailRestorer(session)
        self.records = RecordRestorer(session)

    def close(self) -> None:
        self.session.close()

    def write(self, account: str, path: str, kind: str, size: int, meta: Mapping[str, Any],
              open_content: Callable[[], BinaryIO] | None, *, to_account: str | None = None,
              to_path: str | None = None, conflict: str = "skip") -> str:
        """Put one item back; returns ``restored`` or ``skipped``. Raises on failure."""
        if conflict not in CONFLICTS:
            raise ValueError(f"unknown conflict mode {conflict!r}; use skip, copy or replace")
        service, user = self._target(account, to_account)
        drive_id = ""
        if user.startswith("shared:"):  # back into the shared drive itself, as one of its members
            drive_id, user = user.partition(":")[2], self._member(meta)
        if kind == "native":
            raise RestoreError(f"{path!r} was not exported (past Drive's 10 MB export limit): nothing to restore")
        if service == "drive" and kind == "folder":
            self._folder(user, self._join(to_path, path), drive_id)
            return RESTORED
        if open_content is None:
            raise RestoreError(f"{path!r} has no backed-up content")
        if service == "drive" and kind in ("file", "revision"):  # an earlier revision comes back as a file
            return self._file(user, self._join(to_path, path), size, open_content, meta, conflict, drive_id)
        with open_content() as stream:
            data = stream.read()
        if service == "gmail" and kind == "mail":
            return self.mail.put(user, data, meta, same_account=user.lower() == account.partition(":")[2].lower(),
                                 conflict=conflict)
        body = json.loads(data)
        source_user, folder = account.partition(":")[2], path.rpartition("/")[0]
        if service == "calendar" and kind == "event":
            return self.records.event(user, source_user, folder, meta, body, conflict)
        if service == "contacts" and kind == "contact":
            return self.records.contact(user, meta, body, conflict)
        if service == "tasks" and kind == "task":
            return self.records.task(user, folder or "My Tasks", meta, body, conflict)
        raise RestoreError(f"items of kind {kind!r} of {service} cannot be restored")

    # --- targets ----------------------------------------------------------------------
    @staticmethod
    def _target(account: str, to_account: str | None) -> tuple[str, str]:
        service, sep, user = account.partition(":")
        if not sep or not user or service not in SERVICES:
            raise RestoreError(f"snapshot account {account!r} is not a Google Workspace backup account")
        if to_account:
            other_service, sep, other = to_account.partition(":")
            if sep and other_service in SERVICES:
                if other_service != service:
                    raise RestoreError(f"cannot restore {service} data into a {other_service} account")
                to_account = other
            user = to_account
        if user.startswith("shared:") and service == "drive":
            return service, user
        if "@" not in user:
            raise RestoreError(f"the target {user!r} is not a user's e-mail address")
        return service, user

    @staticmethod
    def _join(to_path: str | None, path: str) -> str:
        parts = [p for p in (to_path or "").split("/") if p] + [p for p in path.split("/") if p]
        if any(p in (".", "..") for p in parts):
            raise RestoreError(f"invalid target path {'/'.join(parts)!r}")
        return "/".join(parts)

    # --- Drive ------------------------------------------------------------------------
    @staticmethod
    def _member(meta: Mapping[str, Any]) -> str:
        """A member of the item's shared drive who may add files (from its backed-up permissions)."""
        for permission in meta.get("permissions") or []:
            if permission.get("type") == "user" and permission.get("role") in ("organizer", "fileOrganizer", "writer") \
                    and permission.get("emailAddress"):
                return str(permission["emailAddress"])
        raise RestoreError("no member of the shared drive who may add files is known: restore into a user "
                           "(to account)")

    def _children(self, user: str, parent: str, name: str, folder: bool | None = None,
                  drive_id: str = "") -> list[dict[str, Any]]:
        q = f"'{_quote_q(parent)}' in parents and name = '{_quote_q(name)}' and trashed = false"
        params = {"q": q, "fields": "files(id,name,mimeType)", "pageSize": "100"}
        if drive_id:
            params.update({"corpora": "drive", "driveId": drive_id, "includeItemsFromAllDrives": "true",
                           "supportsAllDrives": "true"})
        body = self.session.json(f"{self.session.drive}/files", user, "drive", params)
        rows = list(body.get("files", []))
        if folder is not None:
            rows = [r for r in rows if (r.get("mimeType") == FOLDER) == folder]
        return rows

    def _folder(self, user: str, path: str, drive_id: str = "") -> str:
        parent = drive_id or "root"
        walked = ""
        for part in [p for p in path.split("/") if p]:
            walked = f"{walked}/{part}"
            key = (drive_id or user.lower(), walked)
            if key not in self._folders:
                found = self._children(user, parent, part, folder=True, drive_id=drive_id)
                if found:
                    self._folders[key] = str(found[0]["id"])
                else:
                    response = self.session.call(
                        "POST", f"{self.session.drive}/files", user, "drive", write=True,
                        params={"supportsAllDrives": "true"},
                        content=json.dumps({"name": part, "mimeType": FOLDER, "parents": [parent]}).encode(),
                        headers={"Content-Type": "application/json"})
                    self._folders[key] = str(self.http.expect(response).json()["id"])
            parent = self._folders[key]
        return parent

    def _file(self, user: str, path: str, size: int, open_content: Callable[[], BinaryIO],
              meta: Mapping[str, Any], conflict: str, drive_id: str = "") -> str:
        folder, _sep, name = path.rpartition("/")
        parent = self._folder(user, folder, drive_id)
        existing = self._children(user, parent, name, folder=False, drive_id=drive_id)
        if existing and conflict == "skip":
            return SKIPPED
        if existing and conflict == "replace":
            url = f"{self.session.upload}/files/{quote(str(existing[0]['id']), safe='')}"
            if size > SMALL:
                self._resumable("PATCH", url, user, {}, size, open_content)
                return RESTORED
            with open_content() as stream:
                data = stream.read()
            self.http.expect(self.session.call("PATCH", url, user, "drive", write=True,
                                               params={"uploadType": "media", "supportsAllDrives": "true"},
                                               content=data, headers={"Content-Type": "application/octet-stream"}))
            return RESTORED
        if existing:  # copy: the first free "name N.ext"
            stem, ext = split_name(name)
            number = 1
            while self._children(user, parent, f"{stem} {number}{ext}", folder=False, drive_id=drive_id):
                number += 1
            name = f"{stem} {number}{ext}"
        metadata = {"name": name, "parents": [parent]}
        if meta.get("description"):
            metadata["description"] = str(meta["description"])
        mime = str(meta.get("exportedAs") or meta.get("mimeType") or "application/octet-stream")
        if mime.startswith("application/vnd.google-apps."):
            mime = "application/octet-stream"
        metadata["mimeType"] = mime
        if size > SMALL:
            self._resumable("POST", f"{self.session.upload}/files", user, metadata, size, open_content)
            return RESTORED
        with open_content() as stream:
            data = stream.read()
        boundary = "kustos-" + secrets.token_hex(12)
        body = (f"--{boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n{json.dumps(metadata)}\r\n"
                f"--{boundary}\r\nContent-Type: {mime}\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
        self.http.expect(self.session.call(
            "POST", f"{self.session.upload}/files", user, "drive", write=True,
            params={"uploadType": "multipart", "supportsAllDrives": "true"}, content=body,
            headers={"Content-Type": f"multipart/related; boundary={boundary}"}))
        return RESTORED

    def _resumable(self, method: str, url: str, user: str, metadata: Mapping[str, Any], size: int,
                   open_content: Callable[[], BinaryIO]) -> None:
        """A resumable upload session: the content goes in chunks of ``CHUNK`` (flat memory)."""
        start = self.http.expect(self.session.call(
            method, url, user, "drive", write=True, params={"uploadType": "resumable", "supportsAllDrives": "true"},
            content=json.dumps(metadata).encode(), headers={"Content-Type": "application/json; charset=UTF-8",
                                                            "X-Upload-Content-Length": str(size)}))
        session_url = start.headers.get("Location")
        if not session_url:
            raise RestoreError("Drive did not open an upload session (no Location)")
        offset = 0
        with open_content() as stream:
            while offset < size:
                chunk = _read_exactly(stream, min(CHUNK, size - offset))
                if not chunk:
                    raise RestoreError(f"the backed-up content ended at byte {offset} of {size}")
                end = offset + len(chunk) - 1
                response = self.session.call("PUT", session_url, user, "drive", write=True, content=chunk,
                                             headers={"Content-Range": f"bytes {offset}-{end}/{size}"})
                self.http.expect(response, ok=(200, 201, 308))
                offset = end + 1


def build_restore(settings: Mapping[str, Any], secret: str, egress: EgressPolicy | None) -> GoogleRestoreWriter:
    return GoogleRestoreWriter(session_for(settings, secret, egress))
