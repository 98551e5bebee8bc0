"""State of the emulated Microsoft 365 tenants: apps, users, folders, messages, change log.

Every change to a folder's messages is appended to the owning user's log with a
monotonic sequence number; delta rounds are ranges of that log, which is what makes
``$skiptoken`` paging stable and ``$deltatoken`` increments exact.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import Any

from fakecloud.microsoft.drive_store import Drive, DriveStore
from fakecloud.microsoft.feed import now_iso
from fakecloud.microsoft.group_models import GroupDirectory
from fakecloud.microsoft.models import Chat, Pim, Site, Team
from fakecloud.tokens import new_id

WELL_KNOWN = (
    ("inbox", "Inbox"),
    ("sentitems", "Sent Items"),
    ("drafts", "Drafts"),
    ("deleteditems", "Deleted Items"),
    ("junkemail", "Junk Email"),
    ("archive", "Archive"),
)
# Recoverable Items live outside the IPM subtree (not listed under msgfolderroot); Graph reaches them
# by their well-known names only.
RECOVERABLE = (
    ("recoverableitemsdeletions", "Deletions"),
    ("recoverableitemspurges", "Purges"),
    ("recoverableitemsversions", "Versions"),
)


@dataclass
class App:
    client_id: str
    client_secret: str
    roles: set[str]


@dataclass
class Folder:
    id: str
    display_name: str
    parent_id: str
    well_known: str | None = None
    hidden: bool = False
    epoch: int = 0  # bumped to invalidate every delta token of this folder
    invalid_code: str = "SyncStateNotFound"
    redirect_to: str | None = None  # an expanded archive folder: its content lives in this auxiliary mailbox
    redirect_base: str | None = None  # the 308's Location base (default: the Graph host asked)


@dataclass
class Message:
    id: str
    folder_id: str
    mime: bytes
    received: str
    subject: str
    internet_message_id: str
    sender: str
    change_key: str = field(default_factory=lambda: new_id(9))
    flag: dict[str, Any] = field(default_factory=lambda: {"flagStatus": "notFlagged"})  # a followupFlag
    categories: list[str] = field(default_factory=list)
    is_read: bool = False


@dataclass
class LogEntry:
    seq: int
    folder_id: str
    message_id: str
    kind: str  # "add" | "remove" | "update"


@dataclass
class User:
    id: str
    upn: str
    display_name: str
    mail: str | None
    root_id: str = ""
    folders: dict[str, Folder] = field(default_factory=dict)
    messages: dict[str, Message] = field(default_factory=dict)
    log: list[LogEntry] = field(default_factory=list)
    seq: int = 0
    account_enabled: bool = True  # False for shared and resource mailboxes
    purpose: str = "user"  # mailboxSettings.userPurpose: user, shared, room, equipment, ...
    archive_id: str | None = None  # MBX: id of the In-Place Archive

    def append(self, folder_id: str, message_id: str, kind: str) -> None:
        self.seq += 1
        self.log.append(LogEntry(self.seq, folder_id, message_id, kind))


@dataclass
class IssuedToken:
    tenant: str
    app: App
    expires_at: float


class MicrosoftStore:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.tenants: dict[str, dict[str, App]] = {}
        self.users: dict[str, dict[str, User]] = {}  # tenant -> user id -> user
        self.tokens: dict[str, IssuedToken] = {}
        self.token_lifetime = 3599
        # Workloads beyond mail (drives, sites, teams, chats, calendars/contacts/tasks).
        self.drives = DriveStore()
        self.sites: dict[str, Site] = {}
        self.teams: dict[str, Team] = {}
        self.chats: dict[str, Chat] = {}
        self.pim: dict[tuple[str, str], Pim] = {}
        self.mailboxes: dict[str, User] = {}  # MBX:<guid>@<tenant guid> -> archive / auxiliary archive mailbox
        self.group_mail = GroupDirectory()  # Microsoft 365 groups (non-team) and every group's threads and posts

    # --- identity -------------------------------------------------------------------
    def add_app(self, tenant: str, client_id: str, client_secret: str, roles: list[str]) -> None:
        with self.lock:
            self.tenants.setdefault(tenant, {})[client_id] = App(client_id, client_secret, set(roles))
            self.users.setdefault(tenant, {})

    def set_roles(self, tenant: str, client_id: str, roles: list[str]) -> None:
        with self.lock:
            self.tenants[tenant][client_id].roles = set(roles)

    def issue_token(self, tenant: str, app: App) -> tuple[str, int]:
        with self.lock:
            token = "fake-ms-" + secrets.token_urlsafe(24)
            self.tokens[token] = IssuedToken(tenant, app, time.time() + self.token_lifetime)
            return token, self.token_lifetime

    # --- directory and mailboxes ------------------------------------------------------
    def add_user(self, tenant: str, upn: str, display_name: str = "", mailbox: bool = True,
                 user_id: str | None = None) -> str:
        with self.lock:
            user = User(user_id or str(uuid.uuid4()), upn, display_name or upn.split("@")[0],
                        upn if mailbox else None)
            if mailbox:
                root = Folder(new_id(), "Top of Information Store", "", "msgfolderroot", hidden=True)
                user.root_id = root.id
                user.folders[root.id] = root
                for key, name in WELL_KNOWN:
                    folder = Folder(new_id(), name, root.id, key)
                    user.folders[folder.id] = folder
                add_recoverable_folders(user)
            self.users.setdefault(tenant, {})[user.id] = user
            return user.id

    def user(self, tenant: str, user_id: str) -> User | None:
        if user_id.upper().startswith("MBX:"):
            mailbox = self.mailboxes.get(user_id)
            return mailbox if mailbox is not None and user_id.endswith(f"@{tenant_guid(tenant)}") else None
        users = self.users.get(tenant, {})
        if user_id in users:
            return users[user_id]
        lowered = user_id.lower()
        return next((u for u in users.values() if u.upn.lower() == lowered), None)

    def folder(self, user: User, folder_id: str) -> Folder | None:
        if folder_id in user.folders:
            return user.folders[folder_id]
        lowered = folder_id.lower()
        return next((f for f in user.folders.values() if f.well_known == lowered), None)

    def add_folder(self, tenant: str, user_id: str, name: str, parent: str | None = None) -> str:
        with self.lock:
            user = self._mailbox(tenant, user_id)
            parent_folder = self.folder(user, parent) if parent else user.folders[user.root_id]
            if parent_folder is None:
                raise KeyError(f"no folder {parent}")
            folder = Folder(new_id(), name, parent_folder.id)
            user.folders[folder.id] = folder
            return folder.id

    def add_message(self, tenant: str, user_id: str, folder_id: str, mime: bytes) -> str:
        with self.lock:
            user = self._mailbox(tenant, user_id)
            folder = self.folder(user, folder_id)
            if folder is None:
                raise KeyError(f"no folder {folder_id}")
            headers = BytesHeaderParser(policy=compat32).parsebytes(mime)
            message = Message(new_id(), folder.id, mime, now_iso(), str(headers.get("Subject", "")),
                              str(headers.get("Message-ID", "")), str(headers.get("From", "")))
            user.messages[message.id] = message
            user.append(folder.id, message.id, "add")
            return message.id

    def delete_message(self, tenant: str, user_id: str, message_id: str) -> None:
        with self.lock:
            user = self._mailbox(tenant, user_id)
            message = user.messages.pop(message_id)
            user.append(message.folder_id, message_id, "remove")

    def move_message(self, tenant: str, user_id: str, message_id: str, folder_id: str) -> str:
        """Move like Exchange does: the message gets a new id in the destination folder."""
        with self.lock:
            user = self._mailbox(tenant, user_id)
            target = self.folder(user, folder_id)
            if target is None:
                raise KeyError(f"no folder {folder_id}")
            old = user.messages.pop(message_id)
            user.append(old.folder_id, message_id, "remove")
            moved = Message(new_id(), target.id, old.mime, old.received, old.subject,
                            old.internet_message_id, old.sender)
            user.messages[moved.id] = moved
            user.append(target.id, moved.id, "add")
            return moved.id

    def mark_read(self, tenant: str, user_id: str, message_id: str) -> None:
        """A property change: shows up in the next delta as an update of the same id."""
        with self.lock:
            user = self._mailbox(tenant, user_id)
            message = user.messages[message_id]
            message.change_key = new_id(9)
            user.append(message.folder_id, message_id, "update")

    def invalidate_delta(self, tenant: str, user_id: str, folder_id: str,
                         code: str = "SyncStateNotFound") -> None:
        with self.lock:
            user = self._mailbox(tenant, user_id)
            folder = self.folder(user, folder_id)
            if folder is None:
                raise KeyError(f"no folder {folder_id}")
            folder.epoch += 1
            folder.invalid_code = code

    def invalidate_all_deltas(self, tenant: str, user_id: str, code: str = "SyncStateNotFound") -> None:
        with self.lock:
            for folder in self._mailbox(tenant, user_id).folders.values():
                folder.epoch += 1
                folder.invalid_code = code

    def user_drive(self, tenant: str, user: User) -> Drive | None:
        """The user's OneDrive, provisioned on first use; None for a user without a licence (mailbox)."""
        if user.mail is None:
            return None
        drive_id = self.drives.user_drives.get((tenant, user.id))
        if drive_id is None:
            host = tenant.split(".")[0]
            personal = user.upn.replace("@", "_").replace(".", "_")
            drive = self.drives.new_drive(tenant, "OneDrive", "business",
                                          {"id": user.id, "displayName": user.display_name},
                                          f"https://{host}-my.sharepoint.com/personal/{personal}/Documents",
                                          owner_account=user.upn)
            self.drives.user_drives[(tenant, user.id)] = drive_id = drive.id
        return self.drives.drives[drive_id]

    def user_pim(self, tenant: str, user: User) -> Pim | None:
        """Calendars, contact folders and To Do lists of a user with a mailbox."""
        if user.mail is None:
            return None
        return self.pim.setdefault((tenant, user.id), Pim.create())

    def _mailbox(self, tenant: str, user_id: str) -> User:
        user = self.user(tenant, user_id)
        if user is None or user.mail is None:
            raise KeyError(f"no mailbox {user_id}")
        return user

    # --- delta rounds -------------------------------------------------------------------
    def delta_rows(self, user: User, folder_id: str, since: int, upto: int) -> list[tuple[str, Message | None]]:
        """The rows of the delta round over log range ``(since, upto]``, in a stable order.

        The row set depends only on the log range, so offsets stay valid while paging
        even if the mailbox changes mid-round; each row shows the current state
        (message or ``None`` = removed).
        """
        order: list[str] = []
        last_kind: dict[str, str] = {}
        for entry in user.log:
            if entry.folder_id != folder_id or not since < entry.seq <= upto:
                continue
            if entry.message_id not in last_kind:
                order.append(entry.message_id)
            last_kind[entry.message_id] = entry.kind
        rows: list[tuple[str, Message | None]] = []
        for message_id in order:
            if since == 0 and last_kind[message_id] == "remove":
                continue  # an initial round does not report items deleted before it
            message = user.messages.get(message_id)
            rows.append((message_id, message if message and message.folder_id == folder_id else None))
        return rows


def add_recoverable_folders(user: User) -> None:
    """The Recoverable Items folder and its Deletions, Purges and Versions (hidden, outside the root)."""
    top = Folder(new_id(), "Recoverable Items", "", "recoverableitemsroot", hidden=True)
    user.folders[top.id] = top
    for key, name in RECOVERABLE:
        folder = Folder(new_id(), name, top.id, key, hidden=True)
        user.folders[folder.id] = folder


def tenant_guid(tenant: str) -> str:
    """The directory (tenant) id of an emulated tenant named by its domain, stable across runs."""
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, tenant))
