"""Seed / remove / items of the generic control API for Google kinds ``file``, ``event``, ``contact``, ``task``.

Paths per kind (``account`` is the user's e-mail):

* ``file``: ``/Folder/name.ext`` in the user's My Drive (folders made on the way). ``meta``:
  ``native`` (``document`` | ``spreadsheet`` | ``presentation`` | ``drawing``: a Google file whose
  text is the content), ``export_size`` (bytes an export would have: past 10 MB it fails),
  ``description``, ``shared_drive`` (a shared drive's name: the file goes there and the user
  becomes a member). Seeding an existing path writes a new revision.
* ``event``: the event's summary, in the primary calendar; ``content`` is the event JSON (start and
  end default to a fixed hour).
* ``contact``: the display name; ``content`` is the Person JSON (``names`` default from the path).
* ``task``: ``<list title>/<task title>``; ``content`` is the Task JSON.

Items: files as ``{"path","sha256","size","modified"}`` (``account`` ``shared:<name>``: a shared
drive's files); records as ``{"path","sha256","size",
"modified","fields"}`` where ``fields`` is the resource body (without server-set fields).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fakecloud.google.store import GoogleStore
from fakecloud.google.workspace import FOLDER, NATIVE, DriveFile, SharedDrive, Workspace, new_id

KINDS = ("file", "event", "contact", "task")
SERVER_FIELDS = {"id", "etag", "updated", "created", "kind", "iCalUID", "resourceName", "status", "selfLink",
                 "htmlLink", "position", "deleted"}


def record_fields(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in SERVER_FIELDS}


class GoogleSeeder:
    def __init__(self, store: GoogleStore) -> None:
        self.store = store

    @property
    def ws(self) -> Workspace:
        return self.store.workspace

    def _user(self, account: str) -> None:
        if self.store.user(account) is None:
            self.store.add_user(account)

    def seed(self, account: str, kind: str, path: str, content: bytes, meta: dict[str, Any]) -> dict[str, str]:
        self._user(account)
        if kind == "file":
            return self._file(account, path, content, meta)
        body = json.loads(content) if content else {}
        if not isinstance(body, dict):
            raise TypeError("the content of an event, contact or task is a JSON object")
        if kind == "event":
            body.setdefault("summary", path)
            body.setdefault("start", {"dateTime": "2026-06-01T10:00:00Z"})
            body.setdefault("end", {"dateTime": "2026-06-01T11:00:00Z"})
            record = self.ws.put_record(account, "event", account.lower(), body)
        elif kind == "contact":
            body.setdefault("names", [{"displayName": path, "givenName": path}])
            record = self.ws.put_record(account, "contact", "connections", body)
        elif kind == "task":
            title, _sep, task = path.strip("/").rpartition("/")
            body.setdefault("title", task)
            record = self.ws.put_record(account, "task", self.ws.task_list(account, title or "My Tasks"), body)
        else:
            raise ValueError(f"kind {kind!r} is not emulated for google ({', '.join(('mail', *KINDS))})")
        return {"id": record.id, "path": path}

    def _file(self, account: str, path: str, content: bytes, meta: dict[str, Any]) -> dict[str, str]:
        folder, _sep, name = path.strip("/").rpartition("/")
        if not name:
            raise ValueError("a file path names a file: /Folder/name.ext")
        drive_id = ""
        if meta.get("shared_drive"):
            drive = next((d for d in self.ws.drives.values() if d.name == meta["shared_drive"]), None)
            if drive is None:
                drive = SharedDrive(new_id(), str(meta["shared_drive"]))
                self.ws.drives[drive.id] = drive
            drive.members.add(account.lower())
            drive_id = drive.id
        parent = self.ws.folder_path(account, folder, drive_id)
        existing = self.ws.find(parent, name)
        if existing is not None and not existing.is_folder:
            self.ws.write_file(existing, content)
            return {"id": existing.id, "path": path}
        native = meta.get("native")
        if native and native not in NATIVE:
            raise ValueError(f"native must be one of {', '.join(NATIVE)}")
        mime = NATIVE[native] if native else str(meta.get("mimeType") or "application/octet-stream")
        row = self.ws.add_file(account, name, mime, parent, content, drive_id, str(meta.get("description") or ""))
        row.export_size = int(meta.get("export_size") or 0)
        return {"id": row.id, "path": path}

    def remove(self, account: str, kind: str, path: str) -> None:
        if kind == "file":
            row = self._by_path(account, path)
            if row is None:
                raise KeyError(f"no file {path}")
            self.ws.delete(row)
            return
        for record in self.ws.live(account, kind):
            if self._record_path(account, kind, record.body, record.container) == path.strip("/"):
                self.ws.delete_record(account, kind, record.id)
                return
        raise KeyError(f"no {kind} {path}")

    def expire(self, account: str, kind: str) -> None:
        self.ws.expire(account, {"file": "drive:", "event": "event", "contact": "contact"}[kind])

    def _by_path(self, account: str, path: str) -> DriveFile | None:
        parent = self.ws.root_of(account)
        if account.startswith("shared:"):  # a file of the shared drive of that name
            drive = next((d for d in self.ws.drives.values() if d.name == account.partition(":")[2]), None)
            if drive is None:
                return None
            parent = drive.id
        row = None
        for part in [p for p in path.strip("/").split("/") if p]:
            row = self.ws.find(parent, part)
            if row is None:
                return None
            parent = row.id
        return row

    def _path(self, row: DriveFile) -> str:
        parts = [row.name]
        parent = self.ws.files.get(row.parent)
        while parent is not None:
            parts.append(parent.name)
            parent = self.ws.files.get(parent.parent)
        return "/" + "/".join(reversed(parts))

    def _record_path(self, account: str, kind: str, body: dict[str, Any], container: str) -> str:
        if kind == "event":
            return str(body.get("summary") or "")
        if kind == "contact":
            return str(((body.get("names") or [{}])[0]).get("displayName") or "")
        title = self.ws.user(account).task_lists.get(container, {}).get("title", "")
        return f"{title}/{body.get('title') or ''}"

    def items(self, account: str, kind: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        if kind == "file" and account.startswith("shared:"):  # a shared drive's files, by its name
            drive = next((d for d in self.ws.drives.values() if d.name == account.partition(":")[2]), None)
            if drive is None:
                raise KeyError(f"no shared drive {account.partition(':')[2]}")
            for row in self.ws.files.values():
                if row.drive_id == drive.id and not row.is_folder and not row.trashed:
                    rows.append({"path": self._path(row), "sha256": hashlib.sha256(row.content).hexdigest(),
                                 "size": len(row.content), "modified": row.modified, "mimeType": row.mime_type,
                                 "description": row.description})
            return sorted(rows, key=lambda r: r["path"])
        emails = [account.lower()] if account else list(self.ws.users)
        for email in emails:
            if kind == "file":
                for row in self.ws.files.values():
                    if row.is_folder or row.drive_id or row.owner != email or row.trashed:
                        continue
                    rows.append({"path": self._path(row), "sha256": hashlib.sha256(row.content).hexdigest(),
                                 "size": len(row.content), "modified": row.modified, "mimeType": row.mime_type,
                                 "description": row.description})
                continue
            if kind not in KINDS:
                raise ValueError(f"kind {kind!r} is not emulated for google ({', '.join(('mail', *KINDS))})")
            for record in self.ws.live(email, kind):
                fields = record_fields(record.body)
                data = json.dumps(fields, sort_keys=True).encode()
                rows.append({"path": self._record_path(email, kind, record.body, record.container),
                             "sha256": hashlib.sha256(data).hexdigest(), "size": len(data),
                             "modified": str(record.body.get("updated") or ""), "fields": fields})
        return sorted(rows, key=lambda r: r["path"])


__all__ = ["FOLDER", "KINDS", "GoogleSeeder", "record_fields"]
