"""The restore side of a Box connection: files and folders of a snapshot back into a user's Box (the same
user or another one), uploaded As-User.

``write(account, path, kind, size, meta, open_content, *, to_account, to_path, conflict)``: ``account`` is
the snapshot's (``files:<user id>``); the target is that user or ``to_account`` (a user id or login, with or
without ``files:``); the path is kept below ``to_path``. Missing folders are created level by level. A file
of the same name in the target folder (Box answers 409 ``item_name_in_use``) is, per conflict mode:
``skip`` kept (the item counts as skipped), ``copy`` left alone while the restored file is stored as
``name (1).ext`` (the first free number), ``replace`` / ``overwrite`` given the restored content as a new
version. Files below ``CHUNKED`` bytes go in one multipart request (``POST {upload}/files/content``); larger
ones through a chunked upload session (parts of the session's ``part_size`` read from the vault one at a
time, each with its SHA-1 ``Digest``, then a commit with the whole file's digest; a ``202 Accepted`` while
Box still processes the parts is waited out, bounded), so memory stays flat.

Beside the content (``reapply.py``): a restored file gets its comments, metadata instances and
collaborations back, a folder its collaborations; a file kept by ``skip`` is left alone. The snapshot's
``enterprise:<id>`` account holds the metadata templates: a template the enterprise lacks is created (else
the item counts as skipped); it is walked before the users' accounts, so instances find their template.
``report()`` adds what was and was not written back to the restore report.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Callable, Mapping
from typing import Any, BinaryIO

from kustos.sources.base import ConnectorError
from kustos.sources.box.reapply import Reapplier
from kustos.sources.box.session import BoxSession

SERVICES = ("files", "enterprise")
MODES = {"skip": "skip", "copy": "copy", "replace": "replace", "overwrite": "replace"}
RESTORED, SKIPPED = "restored", "skipped"
CHUNKED = 20_000_000  # Box's smallest file for an upload session (and the size above which it advises one)


class RestoreError(ValueError):
    """An item this writer cannot put back (unsupported kind, bad target)."""


def mode_of(conflict: str) -> str:
    try:
        return MODES[conflict]
    except KeyError:
        raise ValueError(f"unknown conflict mode {conflict!r}; use skip, copy or replace") from None


def parts_of(to_path: str | None, path: str) -> list[str]:
    parts = [p for p in (to_path or "").strip("/").split("/") if p] + [p for p in path.strip("/").split("/") if p]
    if any(p in (".", "..") for p in parts):
        raise RestoreError(f"invalid target path {'/'.join(parts)!r}")
    return parts


def numbered(name: str, n: int) -> str:
    stem, dot, ext = name.rpartition(".")
    return f"{stem} ({n}).{ext}" if dot and stem else f"{name} ({n})"


def multipart(attributes: Mapping[str, Any], name: str, data: bytes) -> tuple[bytes, str]:
    boundary = "kustos" + secrets.token_hex(12)
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"attributes\"\r\n\r\n"
            f"{json.dumps(attributes)}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"{name.replace(chr(34), '_')}\"\r\nContent-Type: application/octet-stream\r\n\r\n").encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


class BoxRestoreWriter:
    def __init__(self, session: BoxSession, chunked: int = CHUNKED) -> None:
        self.session = session
        self.chunked = max(chunked, CHUNKED)
        self._users: dict[str, str] = {}
        self._folders: dict[tuple[str, str], str] = {}  # (user, folder path) -> folder id
        self.reapply = Reapplier(session)

    def close(self) -> None:
        self.session.close()

    def write(self, account: str, path: str, kind: str, size: int, meta: Mapping[str, Any],
              open_content: Callable[[], BinaryIO] | None, *, to_account: str | None = None,
              to_path: str | None = None, conflict: str = "skip") -> str:
        mode = mode_of(conflict)
        service, sep, user = account.partition(":")
        if not sep or service not in SERVICES:
            raise RestoreError(f"restoring Box {service or account} items is not supported")
        if service == "enterprise":
            return self._enterprise_item(path, kind, open_content)
        if to_account:
            user = self.user_id(to_account.removeprefix("files:"))
        parts = parts_of(to_path, path)
        if kind == "folder":
            folder_id = self.folder(user, parts)
            if folder_id != "0":
                self.reapply.collaborations(user, "folder", folder_id, path, meta)
            return RESTORED
        if kind != "file":
            raise RestoreError(f"items of kind {kind!r} cannot be restored into Box")
        if open_content is None:
            raise RestoreError(f"{path!r} has no backed-up content")
        if not parts:
            raise RestoreError("a file restore needs a file name")
        parent = self.folder(user, parts[:-1])
        if size >= self.chunked:
            outcome, file_id = self._chunked(user, parent, parts[-1], size, open_content, mode)
        else:
            with open_content() as stream:
                data = stream.read()
            if len(data) != size:
                raise ConnectorError(f"the backed-up content of {path!r} is {len(data)} bytes, expected {size}")
            outcome, file_id = self._upload(user, parent, parts[-1], data, mode)
        if outcome == RESTORED and file_id:
            self.reapply.file(user, file_id, path, meta)
        return outcome

    def report(self) -> dict[str, Any]:
        """What was and was not written back beside the content (see ``reapply.py``)."""
        return self.reapply.report()

    def _enterprise_item(self, path: str, kind: str, open_content: Callable[[], BinaryIO] | None) -> str:
        """A metadata template of the snapshot's enterprise: created when the enterprise lacks it."""
        if kind == "folder":
            return RESTORED
        if kind != "metadata_template" or open_content is None:
            raise RestoreError(f"items of kind {kind!r} cannot be restored into a Box enterprise")
        with open_content() as stream:
            try:
                template = json.loads(stream.read())
            except ValueError:
                raise RestoreError(f"{path!r} is not a Box metadata template (invalid JSON)") from None
        if not isinstance(template, dict):
            raise RestoreError(f"{path!r} is not a Box metadata template")
        return RESTORED if self.reapply.template(path, template) else SKIPPED

    def user_id(self, key: str) -> str:
        """A user id from an id or a login."""
        if key not in self._users:
            found = next((str(u["id"]) for u in self.session.users()
                          if key in (str(u["id"]), str(u.get("login") or "")) or
                          key.lower() == str(u.get("login") or "").lower()), None)
            if found is None:
                raise RestoreError(f"no Box user {key!r} in the enterprise")
            self._users[key] = found
        return self._users[key]

    def folder(self, user: str, parts: list[str]) -> str:
        """The id of the folder at ``parts`` below the user's root, created level by level."""
        folder_id = "0"
        for depth, name in enumerate(parts):
            key = (user, "/".join(parts[:depth + 1]).lower())
            if key in self._folders:
                folder_id = self._folders[key]
                continue
            response = self.session.request(
                "POST", f"{self.session.base}/folders", user, headers={"Content-Type": "application/json"},
                content=json.dumps({"name": name, "parent": {"id": folder_id}}).encode())
            if response.status_code == 409:
                conflicts = ((response.json().get("context_info") or {}).get("conflicts")) or []
                existing = conflicts[0] if isinstance(conflicts, list) and conflicts else conflicts
                if not isinstance(existing, dict) or existing.get("type") != "folder":
                    raise RestoreError(f"{'/'.join(parts[:depth + 1])!r} exists in the target and is not a folder")
                folder_id = str(existing["id"])
            else:
                folder_id = str(self.session.http.expect(response, (201,)).json()["id"])
            self._folders[key] = folder_id
        return folder_id

    def _upload(self, user: str, parent: str, name: str, data: bytes, mode: str) -> tuple[str, str]:
        target = name
        for attempt in range(1, 1000):
            body, ctype = multipart({"name": target, "parent": {"id": parent}}, target, data)
            response = self.session.request("POST", f"{self.session.upload_base}/files/content", user,
                                            headers={"Content-Type": ctype}, content=body)
            if response.status_code == 201:
                return RESTORED, _file_id(response)
            if response.status_code != 409:
                raise self.session.http.on_error(response)
            if mode == "skip":
                return SKIPPED, ""
            if mode == "replace":
                existing = (response.json().get("context_info") or {}).get("conflicts") or {}
                if isinstance(existing, list):
                    existing = existing[0] if existing else {}
                if existing.get("type") != "file":
                    raise RestoreError(f"{name!r} exists in the target as a folder")
                body, ctype = multipart({"name": name}, name, data)
                answer = self.session.request("POST", f"{self.session.upload_base}/files/{existing['id']}/content",
                                              user, headers={"Content-Type": ctype}, content=body)
                self.session.http.expect(answer, (200, 201))
                return RESTORED, str(existing["id"])
            target = numbered(name, attempt)  # copy: the first free "name (n).ext"
        raise RestoreError(f"no free name for a copy of {name!r}")

    def _chunked(self, user: str, parent: str, name: str, size: int, open_content: Callable[[], BinaryIO],
                 mode: str) -> tuple[str, str]:
        target = name
        for attempt in range(1, 1000):
            created = self._json("POST", f"{self.session.upload_base}/files/upload_sessions", user,
                                 {"folder_id": parent, "file_size": size, "file_name": target})
            if created.status_code == 201:
                return self._send_parts(user, created.json(), size, open_content)
            if created.status_code != 409:
                raise self.session.http.on_error(created)
            if mode == "skip":
                return SKIPPED, ""
            if mode == "replace":
                existing = (created.json().get("context_info") or {}).get("conflicts") or {}
                if isinstance(existing, list):
                    existing = existing[0] if existing else {}
                if existing.get("type") != "file":
                    raise RestoreError(f"{name!r} exists in the target as a folder")
                version = self._json("POST", f"{self.session.upload_base}/files/{existing['id']}/upload_sessions",
                                     user, {"file_size": size, "file_name": name})
                return self._send_parts(user, self.session.http.expect(version, (201,)).json(), size, open_content)
            target = numbered(name, attempt)
        raise RestoreError(f"no free name for a copy of {name!r}")

    def _json(self, method: str, url: str, user: str, body: object) -> Any:
        return self.session.request(method, url, user, headers={"Content-Type": "application/json"},
                                    content=json.dumps(body).encode())

    def _send_parts(self, user: str, upload: Mapping[str, Any], size: int,
                    open_content: Callable[[], BinaryIO]) -> tuple[str, str]:
        endpoints = upload.get("session_endpoints") or {}
        part_url, part_size = str(endpoints["upload_part"]), int(upload["part_size"])
        whole = hashlib.sha1()
        parts: list[dict[str, Any]] = []
        sent = 0
        try:
            with open_content() as stream:
                while sent < size:
                    piece = stream.read(min(part_size, size - sent))
                    while piece and len(piece) < min(part_size, size - sent):
                        more = stream.read(min(part_size, size - sent) - len(piece))
                        if not more:
                            break
                        piece += more
                    if not piece:
                        raise ConnectorError(f"the backed-up content ended at byte {sent} of {size}")
                    whole.update(piece)
                    end = sent + len(piece) - 1
                    answer = self.session.request(
                        "PUT", part_url, user, content=piece,
                        headers={"Content-Type": "application/octet-stream", "Digest": _digest(piece),
                                 "Content-Range": f"bytes {sent}-{end}/{size}"})
                    parts.append(self.session.http.expect(answer, (200,)).json()["part"])
                    sent = end + 1
                    del piece, answer
            digest = "sha=" + base64.b64encode(whole.digest()).decode()
            commit = self.session.when_ready(lambda: self.session.request(
                "POST", str(endpoints["commit"]), user, content=json.dumps({"parts": parts}).encode(),
                headers={"Content-Type": "application/json", "Digest": digest}),
                "the commit of an upload session")  # 202 while Box still processes the parts
            self.session.http.expect(commit, (201,))
        except BaseException:
            if sent < size and endpoints.get("abort"):
                self.session.request("DELETE", str(endpoints["abort"]), user)
            raise
        return RESTORED, _file_id(commit)


def _file_id(response: Any) -> str:
    """The id of the file an upload answered (``Files``: ``entries[0].id``)."""
    try:
        return str((response.json().get("entries") or [{}])[0].get("id") or "")
    except (ValueError, AttributeError):
        return ""


def _digest(data: bytes) -> str:
    return "sha=" + base64.b64encode(hashlib.sha1(data).digest()).decode()
