"""OneDrive / SharePoint document library state: drives, items, download links, upload sessions.

Versioning follows the driveItem reference: ``eTag`` ("{GUID},N") changes on every
change of the item, ``cTag`` ("c:{GUID},M") only when the content changes (a rename
or a permission change keeps it). Each drive is one :class:`Feed`, so
``/root/delta`` reports added, changed and deleted items (deleted with the
``deleted`` facet). Download URLs are pre-authenticated and expire.
"""

from __future__ import annotations

import hashlib
import hmac
import mimetypes
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from fakecloud import tokens
from fakecloud.microsoft.blob import Content, SyntheticContent
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
    content: Content = b""
    created: str = field(default_factory=now_iso)
    modified: str = field(default_factory=now_iso)
    guid: str = field(default_factory=lambda: str(uuid.uuid4()).upper())
    version: int = 1
    content_version: int = 1
    quick_xor: str = ""
    owner: dict[str, str] = field(default_factory=dict)
    permissions: list[dict[str, Any]] = field(default_factory=list)

    def set_content(self, content: Content) -> None:
        self.content = content
        self.quick_xor = content.digests()[1] if isinstance(content, SyntheticContent) else quick_xor_hash(content)
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
    kids: dict[str, dict[str, None]] = field(default_factory=dict)  # folder id -> child ids (ordered set)
    _sizes: tuple[int, dict[str, int]] = (-1, {})  # (feed seq, folder id -> bytes below it)

    def add(self, item: DriveItem) -> None:
        self.feed.put(item.id, item)
        if item.parent_id is not None:
            self.kids.setdefault(item.parent_id, {})[item.id] = None

    def drop(self, item: DriveItem) -> None:
        self.feed.remove(item.id)
        self.kids.pop(item.id, None)
        if item.parent_id is not None:
            self.kids.get(item.parent_id, {}).pop(item.id, None)

    def item(self, item_id: str) -> DriveItem | None:
        found = self.feed.items.get(item_id)
        return found if isinstance(found, DriveItem) else None

    def children(self, folder: DriveItem) -> list[DriveItem]:
        found = [self.feed.items[i] for i in self.kids.get(folder.id, {})]
        return sorted(found, key=lambda i: i.name.lower())

    def child_named(self, folder: DriveItem, name: str) -> DriveItem | None:
        lowered = name.lower()
        return next((self.feed.items[i] for i in self.kids.get(folder.id, {})
                     if self.feed.items[i].name.lower() == lowered), None)

    def folder_size(self, folder: DriveItem) -> int:
        """Bytes of every file below ``folder`` (computed once per change of the drive)."""
        seq, sizes = self._sizes
        if seq != self.feed.seq:
            sizes = {}
            for item in self.feed.items.values():
                if item.is_folder:
                    continue
                parent = item.parent_id
                while parent is not None:
                    sizes[parent] = sizes.get(parent, 0) + len(item.content)
                    above = self.feed.items.get(parent)
                    parent = above.parent_id if above is not None else None
            self._sizes = (self.feed.seq, sizes)
        return sizes.get(folder.id, 0)

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
            current = self.child_named(current, part)
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
        self._secret = secrets.token_bytes(32)
        self.uploads: dict[str, UploadSession] = {}
        self.download_lifetime = 3600.0
        self.upload_lifetime = 3600.0

    def new_drive(self, tenant: str, name: str, drive_type: str, owner: dict[str, str], web_url: str,
                  owner_account: str = "", site_id: str | None = None) -> Drive:
        drive = Drive("b!" + new_id(32), tenant, name, drive_type, owner, web_url, owner_account, site_id)
        root = DriveItem("01" + secrets.token_hex(16).upper(), "root", None, True, owner=owner)
        drive.root_id = root.id
        drive.add(root)
        self.drives[drive.id] = drive
        return drive

    # --- changes ------------------------------------------------------------------------
    def _free_name(self, drive: Drive, parent: DriveItem, name: str, conflict: str) -> tuple[str, DriveItem | None]:
        existing = drive.child_named(parent, name)
        if existing is None:
            return name, None
        if conflict == "fail":
            raise Conflict(name)
        if conflict == "replace":
            return name, existing
        stem, dot, ext = name.rpartition(".")
        stem, ext = (stem, dot + ext) if dot and stem else (name, "")
        n = 1
        while drive.child_named(parent, f"{stem} {n}{ext}") is not None:
            n += 1
        return f"{stem} {n}{ext}", None

    def put_file(self, drive: Drive, parent: DriveItem, name: str, content: Content, conflict: str = "replace",
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
        drive.add(item)
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
        drive.add(item)
        return item

    def ensure_folders(self, drive: Drive, path: str) -> DriveItem:
        current = drive.item(drive.root_id)
        assert current is not None
        for part in [p for p in path.strip("/").split("/") if p]:
            found = drive.child_named(current, part)
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
        drive.drop(item)

    # --- links ----------------------------------------------------------------------------
    def download_token(self, drive: Drive, item: DriveItem) -> str:
        """A signed, self-contained ``tempauth`` (nothing is stored per URL handed out)."""
        payload = tokens.encode({"d": drive.id, "i": item.id, "x": time.time() + self.download_lifetime})
        return payload + "." + self._sign(payload)

    def download_link(self, token: str) -> DownloadLink | None:
        """The link a ``tempauth`` grants, or None when forged or malformed (expiry is the caller's check)."""
        payload, _, signature = token.partition(".")
        state = tokens.decode(payload) if hmac.compare_digest(signature, self._sign(payload)) else None
        if state is None:
            return None
        return DownloadLink(str(state["d"]), str(state["i"]), float(state["x"]))

    def _sign(self, payload: str) -> str:
        return hmac.new(self._secret, payload.encode(), hashlib.sha256).hexdigest()[:32]

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
