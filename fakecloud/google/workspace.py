"""State of the emulated Drive, Calendar, People and Tasks data of a Google Workspace domain.

Kept beside :class:`fakecloud.google.store.GoogleStore` (``GoogleStore.workspace``), per user
e-mail. Every change bumps a per-user change counter; Drive ``changes``, Calendar ``syncToken``
and People ``syncToken`` are positions in that counter. ``floor`` per feed models expiry: a token
older than the floor is answered with the service's "start again" error (Drive 400/404
``invalid`` page token, Calendar 410 ``fullSyncRequired``, People 400 ``EXPIRED_SYNC_TOKEN``).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

FOLDER = "application/vnd.google-apps.folder"
NATIVE = {"document": "application/vnd.google-apps.document",
          "spreadsheet": "application/vnd.google-apps.spreadsheet",
          "presentation": "application/vnd.google-apps.presentation",
          "drawing": "application/vnd.google-apps.drawing"}
#: The largest export Drive answers (files.export: "limited to 10MB").
EXPORT_LIMIT = 10 * 1024 * 1024


def now_rfc3339(at: float | None = None) -> str:
    moment = datetime.fromtimestamp(at if at is not None else time.time(), UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def new_id() -> str:
    return secrets.token_urlsafe(21).replace("-", "x").replace("_", "y")


@dataclass
class Revision:
    id: str
    content: bytes
    modified: str


@dataclass
class DriveFile:
    id: str
    name: str
    mime_type: str
    parent: str  # folder id, or the drive's root id
    drive_id: str  # "" for My Drive
    owner: str  # e-mail
    content: bytes = b""
    description: str = ""
    trashed: bool = False
    created: str = field(default_factory=now_rfc3339)
    modified: str = field(default_factory=now_rfc3339)
    version: int = 1
    permissions: list[dict[str, Any]] = field(default_factory=list)
    revisions: list[Revision] = field(default_factory=list)
    export_size: int = 0  # a native file's export size (seeded); 0 = its content's length

    @property
    def is_folder(self) -> bool:
        return self.mime_type == FOLDER

    @property
    def is_native(self) -> bool:
        return self.mime_type.startswith("application/vnd.google-apps.") and not self.is_folder


@dataclass
class Change:
    position: int
    file_id: str
    removed: bool


@dataclass
class Record:
    """A calendar event, a contact or a task (its resource body, as the API returns it)."""

    id: str
    container: str  # calendar id, "connections", task list id
    body: dict[str, Any]
    position: int
    deleted: bool = False


@dataclass
class SharedDrive:
    id: str
    name: str
    members: set[str] = field(default_factory=set)


@dataclass
class UserData:
    email: str
    root_id: str = field(default_factory=new_id)
    calendars: dict[str, str] = field(default_factory=dict)  # id -> summary
    task_lists: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> tasklist resource
    records: dict[str, dict[str, Record]] = field(default_factory=lambda: {"event": {}, "contact": {}, "task": {}})
    floors: dict[str, int] = field(default_factory=dict)  # feed -> oldest accepted position


class Workspace:
    """Drive files (My Drive per user, shared drives), events, contacts and tasks of one domain."""

    def __init__(self, lock: threading.RLock) -> None:
        self.lock = lock
        self.users: dict[str, UserData] = {}
        self.files: dict[str, DriveFile] = {}
        self.drives: dict[str, SharedDrive] = {}
        self.changes: list[Change] = []
        self.removed: dict[str, tuple[str, str]] = {}  # file id -> (drive id, owner) of deleted files
        self.uploads: dict[str, dict[str, Any]] = {}  # resumable upload sessions by upload id
        self.position = 1

    # --- users ------------------------------------------------------------------------
    def user(self, email: str) -> UserData:
        key = email.lower()
        if key not in self.users:
            data = UserData(key)
            data.calendars[key] = key  # the primary calendar's id is the user's address
            self.users[key] = data
        return self.users[key]

    def bump(self) -> int:
        self.position += 1
        return self.position

    def expire(self, email: str, feed: str) -> None:
        """Tokens of ``feed`` (drive, event, contact) issued so far no longer work."""
        self.user(email).floors[feed] = self.bump()

    # --- Drive ------------------------------------------------------------------------
    def root_of(self, email: str, drive_id: str = "") -> str:
        return drive_id or self.user(email).root_id

    def children(self, parent: str) -> list[DriveFile]:
        return [f for f in self.files.values() if f.parent == parent and not f.trashed]

    def find(self, parent: str, name: str) -> DriveFile | None:
        return next((f for f in self.children(parent) if f.name == name), None)

    def folder_path(self, email: str, path: str, drive_id: str = "") -> str:
        """The id of folder ``path`` (``A/B``), created when missing."""
        parent = self.root_of(email, drive_id)
        for part in [p for p in path.strip("/").split("/") if p]:
            found = self.find(parent, part)
            if found is None:
                found = self.add_file(email, part, FOLDER, parent, b"", drive_id)
            parent = found.id
        return parent

    def add_file(self, email: str, name: str, mime_type: str, parent: str, content: bytes, drive_id: str = "",
                 description: str = "") -> DriveFile:
        row = DriveFile(new_id(), name, mime_type, parent, drive_id, email.lower(), content, description)
        row.permissions = [{"kind": "drive#permission", "id": f"perm-{email.lower()}", "type": "user",
                            "role": "owner" if not drive_id else "organizer", "emailAddress": email.lower()}]
        if not row.is_folder and not row.is_native:
            row.revisions.append(Revision(new_id()[:12], content, row.modified))
        self.files[row.id] = row
        self._changed(row.id)
        return row

    def write_file(self, row: DriveFile, content: bytes) -> None:
        row.content = content
        row.version += 1
        row.modified = now_rfc3339()
        if not row.is_native:
            row.revisions.append(Revision(new_id()[:12], content, row.modified))
        self._changed(row.id)

    def trash(self, row: DriveFile) -> None:
        row.trashed = True
        row.version += 1
        self._changed(row.id)
        for child in self.children(row.id):
            self.trash(child)

    def delete(self, row: DriveFile) -> None:
        for child in [f for f in self.files.values() if f.parent == row.id]:
            self.delete(child)
        self.files.pop(row.id, None)
        self.removed[row.id] = (row.drive_id, row.owner)
        self.changes.append(Change(self.bump(), row.id, True))

    def _changed(self, file_id: str) -> None:
        self.changes.append(Change(self.bump(), file_id, False))

    def visible(self, email: str, row: DriveFile) -> bool:
        if row.drive_id:
            drive = self.drives.get(row.drive_id)
            return drive is not None and email.lower() in drive.members
        return row.owner == email.lower() or any(p.get("emailAddress") == email.lower() for p in row.permissions)

    # --- records (events, contacts, tasks) ---------------------------------------------
    def put_record(self, email: str, kind: str, container: str, body: dict[str, Any],
                   record_id: str | None = None) -> Record:
        data = self.user(email)
        record_id = record_id or str(body.get("id") or new_id().lower()[:26])
        position = self.bump()
        stamp = now_rfc3339()
        full = {**body, "id": record_id}
        if kind == "event":
            full.setdefault("iCalUID", f"{record_id}@google.com")
            full.update({"kind": "calendar#event", "etag": f'"{position}"', "updated": stamp,
                         "status": full.get("status") or "confirmed"})
            full.setdefault("created", stamp)
        elif kind == "contact":
            full.update({"resourceName": f"people/{record_id}",
                         "etag": "%" + hashlib.sha1(str(position).encode()).hexdigest()[:20]})
            full.pop("id", None)
        else:
            full.update({"kind": "tasks#task", "etag": f'"{position}"', "updated": stamp,
                         "status": full.get("status") or "needsAction"})
        record = Record(record_id, container, full, position)
        data.records[kind][record_id] = record
        return record

    def delete_record(self, email: str, kind: str, record_id: str) -> None:
        record = self.user(email).records[kind][record_id]
        record.deleted = True
        record.position = self.bump()
        stamp = now_rfc3339()
        if kind == "event":
            record.body = {"kind": "calendar#event", "id": record_id, "etag": f'"{record.position}"',
                           "status": "cancelled", "updated": stamp}
        elif kind == "task":
            record.body = {**record.body, "deleted": True, "updated": stamp}
        else:
            record.body = {"resourceName": f"people/{record_id}", "etag": record.body.get("etag"),
                           "metadata": {"deleted": True}}

    def live(self, email: str, kind: str, container: str | None = None) -> list[Record]:
        rows = [r for r in self.user(email).records[kind].values()
                if not r.deleted and (container is None or r.container == container)]
        return sorted(rows, key=lambda r: r.position)

    def task_list(self, email: str, title: str) -> str:
        data = self.user(email)
        found = next((k for k, v in data.task_lists.items() if v["title"] == title), None)
        if found is None:
            found = new_id()[:22]
            data.task_lists[found] = {"kind": "tasks#taskList", "id": found, "title": title,
                                      "etag": f'"{self.bump()}"', "updated": now_rfc3339()}
        return found
