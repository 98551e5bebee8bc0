"""OneDrive / SharePoint document library state: drives, items, download links, upload sessions.

Versioning follows the driveItem reference: ``eTag`` ("{GUID},N") changes on every
change of the item, ``cTag`` ("c:{GUID},M") only when the content changes (a rename
or a permission change keeps it). Each drive is one :class:`Feed`, so
``/root/delta`` reports added, changed and deleted items (deleted with the
``deleted`` facet). Download URLs are pre-authenticated and expire.
"""

from __future__ import annotations

import mimetypes
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from fakecloud.microsoft.feed import Feed, now_iso
from fakecloud.microsoft.quickxor import quick_xor_hash
from fakecloud.tokens import new_id

CONFLICT = ("fail", "replace", "rename")


class Conflict(Exception):
    """The name exists and the conflict behaviour is ``fail`` (Graph: 409 nameAlreadyExists)."""


@dataclass
class DriveItem:
    id: str
    name: str
    parent_id: str | None
    is_folder: bool
    content: bytes = b""
    created: str = field(default_factory=now_iso)
    modified: str = field(default_factory=now_iso)
    guid: str = field(default_factory=lambda: str(uuid.uuid4()).upper())
    version: int = 1
    content_version: int = 1
    quick_xor: str = ""
    owner: dict[str, str] = field(default_factory=dict)
    permissions: list[dict[str, Any]] = field(default_factory=list)

    def set_content(self, content: bytes) -> None:
        self.content = content
        self.quick_xor = quick_xor_hash(content)
        self.content_version += 1
        self.version += 1
        self.modified = now_iso()


@dataclass
class Drive:
    id: str
    tenant: str
    name: str
    drive_type: str  # business | documentLibrary
    owner: dict[str, str]  # identity (user or group)
    web_url: str
    owner_account: str = ""  # control API account (UPN or sites/<path>)
    site_id: str | None = None
    root_id: str = ""
    feed: Feed = field(default_factory=Feed)

    def item(self, item_id: str) -> DriveItem | None:
        found = self.feed.items.get(item_id)
        return found if isinstance(found, DriveItem) else None

    def children(self, folder: DriveItem) -> list[DriveItem]:
        return sorted((i for i in self.feed.items.values() if i.parent_id == folder.id), key=lambda i: i.name.lower())

    def path_of(self, item: DriveItem) -> str:
        """``/a/b`` relative to the root ("" for the root)."""
        parts: list[str] = []
        current: DriveItem | None = item
        while current is not None and current.parent_id is not None:
            parts.append(current.name)
            current = self.item(current.parent_id)
        return "/" + "/".join(reversed(parts)) if parts else ""

    def by_path(self, path: str) -> DriveItem | None:
        current = self.item(self.root_id)
        for part in [p for p in path.strip("/").split("/") if p]:
            if current is None:
                return None
            current = next((c for c in self.children(current) if c.name.lower() == part.lower()), None)
        return current


@dataclass
class UploadSession:
    id: str
    drive_id: str
    parent_id: str
    name: str
    conflict: str
    expires_at: float
    received: bytearray = field(default_factory=bytearray)
    total: int | None = None


@dataclass
class DownloadLink:
    drive_id: str
    item_id: str
    expires_at: float


class DriveStore:
    def __init__(self) -> None:
        self.drives: dict[str, Drive] = {}
        self.user_drives: dict[tuple[str, str], str] = {}  # (tenant, user id) -> drive id
        self.downloads: dict[str, DownloadLink] = {}
        self.uploads: dict[str, UploadSession] = {}
        self.download_lifetime = 3600.0
        self.upload_lifetime = 3600.0

    def new_drive(self, tenant: str, name: str, drive_type: str, owner: dict[str, str], web_url: str,
                  owner_account: str = "", site_id: str | None = None) -> Drive:
        drive = Drive("b!" + new_id(32), tenant, name, drive_type, owner, web_url, owner_account, site_id)
        root = DriveItem("01" + secrets.token_hex(16).upper(), "root", None, True, owner=owner)
        drive.root_id = root.id
        drive.feed.put(root.id, root)
        self.drives[drive.id] = drive
        return drive

    # --- changes ------------------------------------------------------------------------
    def _free_name(self, drive: Drive, parent: DriveItem, name: str, conflict: str) -> tuple[str, DriveItem | None]:
        existing = next((c for c in drive.children(parent) if c.name.lower() == name.lower()), None)
        if existing is None:
            return name, None
        if conflict == "fail":
            raise Conflict(name)
        if conflict == "replace":
            return name, existing
        stem, dot, ext = name.rpartition(".")
        stem, ext = (stem, dot + ext) if dot and stem else (name, "")
        n = 1
        while any(c.name.lower() == f"{stem} {n}{ext}".lower() for c in drive.children(parent)):
            n += 1
        return f"{stem} {n}{ext}", None

    def put_file(self, drive: Drive, parent: DriveItem, name: str, content: bytes, conflict: str = "replace",
                 owner: dict[str, str] | None = None) -> tuple[DriveItem, bool]:
        """Create or replace ``name`` under ``parent``; True when created."""
        final, existing = self._free_name(drive, parent, name, conflict)
        if existing is not None:
            if existing.is_folder:
                raise Conflict(name)
            existing.set_content(content)
            drive.feed.touch(existing.id)
            return existing, False
        item = DriveItem("01" + secrets.token_hex(16).upper(), final, parent.id, False,
                         owner=owner or drive.owner)
        item.set_content(content)
        item.version, item.content_version = 1, 1
        item.permissions = [owner_permission(item.owner)]
        drive.feed.put(item.id, item)
        return item, True

    def make_folder(self, drive: Drive, parent: DriveItem, name: str, conflict: str = "fail",
                    owner: dict[str, str] | None = None) -> DriveItem:
        final, existing = self._free_name(drive, parent, name, conflict)
        if existing is not None:
            if existing.is_folder:
                return existing
            self.delete(drive, existing)
        item = DriveItem("01" + secrets.token_hex(16).upper(), final, parent.id, True, owner=owner or drive.owner)
        item.permissions = [owner_permission(item.owner)]
        drive.feed.put(item.id, item)
        return item

    def ensure_folders(self, drive: Drive, path: str) -> DriveItem:
        current = drive.item(drive.root_id)
        assert current is not None
        for part in [p for p in path.strip("/").split("/") if p]:
            found = next((c for c in drive.children(current) if c.name.lower() == part.lower()), None)
            current = found if found is not None and found.is_folder else self.make_folder(drive, current, part)
        return current

    def rename(self, drive: Drive, item: DriveItem, name: str) -> None:
        """A metadata change: the eTag moves, the cTag does not."""
        item.name = name
        item.version += 1
        item.modified = now_iso()
        drive.feed.touch(item.id)

    def delete(self, drive: Drive, item: DriveItem) -> None:
        for child in drive.children(item):
            self.delete(drive, child)
        drive.feed.remove(item.id)

    # --- links ----------------------------------------------------------------------------
    def download_token(self, drive: Drive, item: DriveItem) -> str:
        token = secrets.token_urlsafe(24)
        self.downloads[token] = DownloadLink(drive.id, item.id, time.time() + self.download_lifetime)
        return token

    def new_upload(self, drive: Drive, parent: DriveItem, name: str, conflict: str, total: int | None) -> UploadSession:
        session = UploadSession(new_id(18), drive.id, parent.id, name, conflict,
                                time.time() + self.upload_lifetime, total=total)
        self.uploads[session.id] = session
        return session


def owner_permission(owner: dict[str, str]) -> dict[str, Any]:
    return {"id": "aTowIy5mfG1lbWJlcnNoaXB8" + owner.get("id", "")[:8], "roles": ["owner"],
            "grantedTo": {"user": dict(owner)}, "grantedToV2": {"user": dict(owner)}}


def mime_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"
