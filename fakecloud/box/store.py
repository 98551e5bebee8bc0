"""State of the Box emulator: enterprises with apps, users, files and folders, and each user's event stream.

Every user has their own root folder ``0`` (as Box shows it to that user); item ids are unique across the
emulator. Events are kept per user with increasing stream positions; positions before a user's
``event_floor`` have expired (Box keeps events for a limited time) and are refused.
"""

from __future__ import annotations

import hashlib
import itertools
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


@dataclass
class Node:
    id: str
    type: str  # file | folder
    name: str
    parent: str  # folder id ("" for the root)
    content: bytes = b""
    version: str = ""
    etag: int = 0
    sequence: int = 0
    created: str = field(default_factory=now_iso)
    modified: str = field(default_factory=now_iso)
    comments: list[dict[str, Any]] = field(default_factory=list)
    metadata: list[dict[str, Any]] = field(default_factory=list)
    collaborations: list[dict[str, Any]] = field(default_factory=list)
    not_ready: int = 0  # downloads answered 202 Accepted (Retry-After) before the content is ready

    @property
    def sha1(self) -> str:
        return hashlib.sha1(self.content).hexdigest()


@dataclass
class User:
    id: str
    login: str
    name: str
    enterprise: str
    nodes: dict[str, Node] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    event_floor: int = 0


@dataclass
class Enterprise:
    id: str
    users: dict[str, User] = field(default_factory=dict)  # by id
    templates: dict[str, dict[str, Any]] = field(default_factory=dict)  # enterprise metadata templates by key


class BoxStore:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.enterprises: dict[str, Enterprise] = {}
        self.apps: dict[str, tuple[str, str]] = {}  # client id -> (secret, enterprise id)
        self.tokens: dict[str, tuple[str, float]] = {}  # access token -> (enterprise id, expiry)
        self.downloads: dict[str, tuple[str, str, float]] = {}  # download token -> (user id, file id, expiry)
        self.download_lifetime = 300.0
        self.token_lifetime = 3600
        self.retry_after = 1.0  # what a 202 Accepted (content not ready, commit still processing) asks to wait
        self.commits_pending = 0  # upload session commits answered 202 before the parts are processed
        self._ids = itertools.count(100001)
        self._positions = itertools.count(1000)

    def new_id(self) -> str:
        return str(next(self._ids))

    # --- enterprises, apps, users ---------------------------------------------------------
    def enterprise(self, name: str) -> Enterprise:
        """The enterprise of tenant ``name`` (its id is the tenant name), created on first use."""
        if name not in self.enterprises:
            self.enterprises[name] = Enterprise(id=name)
        return self.enterprises[name]

    def add_app(self, enterprise: str) -> tuple[str, str]:
        self.enterprise(enterprise)
        client_id, secret = secrets.token_hex(16), secrets.token_urlsafe(24)
        self.apps[client_id] = (secret, enterprise)
        return client_id, secret

    def issue_token(self, enterprise: str) -> str:
        token = secrets.token_urlsafe(32)
        self.tokens[token] = (enterprise, time.time() + self.token_lifetime)
        return token

    def token_enterprise(self, token: str | None) -> str | None:
        found = self.tokens.get(token or "")
        if found is None or found[1] < time.time():
            return None
        return found[0]

    def user(self, enterprise: str, key: str) -> User | None:
        users = self.enterprise(enterprise).users
        if key in users:
            return users[key]
        return next((u for u in users.values() if u.login.lower() == key.lower()), None)

    def ensure_user(self, enterprise: str, login: str) -> User:
        found = self.user(enterprise, login)
        if found is None:
            found = User(id=self.new_id(), login=login, name=login.split("@")[0].title(), enterprise=enterprise)
            found.nodes["0"] = Node(id="0", type="folder", name="All Files", parent="")
            self.enterprise(enterprise).users[found.id] = found
        return found

    # --- items -----------------------------------------------------------------------------
    def children(self, user: User, folder: str) -> list[Node]:
        return sorted((n for n in user.nodes.values() if n.parent == folder), key=lambda n: (n.type != "folder", n.name))

    def path_of(self, user: User, node: Node) -> list[Node]:
        """The folders above ``node``, root first."""
        chain: list[Node] = []
        parent = user.nodes.get(node.parent)
        while parent is not None:
            chain.insert(0, parent)
            parent = user.nodes.get(parent.parent)
        return chain

    def child(self, user: User, folder: str, name: str) -> Node | None:
        return next((n for n in user.nodes.values() if n.parent == folder and n.name.lower() == name.lower()), None)

    def add_folder(self, user: User, parent: str, name: str) -> Node:
        node = Node(id=self.new_id(), type="folder", name=name, parent=parent)
        user.nodes[node.id] = node
        self.event(user, "ITEM_CREATE", node)
        return node

    def folder_path(self, user: User, path: str) -> Node:
        """The folder at ``path`` (``/``-separated), created level by level."""
        node = user.nodes["0"]
        for part in [p for p in path.split("/") if p]:
            found = self.child(user, node.id, part)
            if found is None:
                found = self.add_folder(user, node.id, part)
            elif found.type != "folder":
                raise ValueError(f"{part!r} is a file, not a folder")
            node = found
        return node

    def put_file(self, user: User, parent: str, name: str, content: bytes, node: Node | None = None) -> Node:
        """A new file, or a new version of ``node``."""
        if node is None:
            node = Node(id=self.new_id(), type="file", name=name, parent=parent)
            user.nodes[node.id] = node
        node.content = content
        node.version = self.new_id()
        node.etag += 1
        node.sequence += 1
        node.modified = now_iso()
        self.event(user, "ITEM_UPLOAD", node)
        return node

    def trash(self, user: User, node: Node, event: bool = True) -> None:
        """Trash an item; a folder goes with everything below it in ONE ``ITEM_TRASH`` event (as Box reports it)."""
        for child in self.children(user, node.id):
            self.trash(user, child, event=False)
        user.nodes.pop(node.id, None)
        if event:
            self.event(user, "ITEM_TRASH", node)

    def event(self, user: User, event_type: str, node: Node) -> None:
        user.events.append({"position": next(self._positions), "type": "event",
                            "event_id": secrets.token_hex(8), "event_type": event_type,
                            "created_at": now_iso(), "source": {"type": node.type, "id": node.id,
                                                                "name": node.name}})

    def position(self) -> int:
        """The next stream position (what ``stream_position=now`` answers)."""
        with self.lock:
            value = next(self._positions)
        return value

    def expire_events(self, enterprise: str, account: str = "") -> None:
        """Every stream position handed out so far expires (for ``account`` only, when given)."""
        floor = self.position() + 1  # every position handed out so far is below it
        for user in self.enterprise(enterprise).users.values():
            if not account or account.lower() in (user.login.lower(), user.id):
                user.event_floor = floor

    def node_at(self, user: User, path: str) -> Node | None:
        node: Node | None = user.nodes["0"]
        for part in [p for p in path.split("/") if p]:
            node = self.child(user, node.id, part) if node is not None else None
        return node

    def move(self, enterprise: str, account: str, path: str, new_path: str) -> None:
        """Rename and/or move the item at ``path`` to ``new_path`` (its new parent folder must exist or is created)."""
        user = self.user(enterprise, account)
        node = self.node_at(user, path) if user is not None else None
        if user is None or node is None or node.id == "0":
            raise KeyError(f"no box item {path!r} of {account}")
        folder, _, name = new_path.strip("/").rpartition("/")
        parent = self.folder_path(user, folder)
        if not name or self.child(user, parent.id, name) is not None:
            raise ValueError(f"{new_path!r} is taken or has no name")
        moved = parent.id != node.parent
        node.name, node.parent = name, parent.id
        node.etag += 1
        node.sequence += 1
        node.modified = now_iso()
        self.event(user, "ITEM_MOVE" if moved else "ITEM_RENAME", node)
