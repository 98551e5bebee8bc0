"""State of the Dropbox emulator: apps, tokens, teams, members and namespaces.

Every namespace (a member's home folder or a team folder) keeps its entries by lower-cased path and
a change sequence: each create, change or delete stamps the entry with the next ``seq``. A
``list_folder`` cursor remembers the sequence it has seen; ``generation`` is bumped to invalidate
every cursor of the namespace (the next ``list_folder/continue`` answers 409 ``reset``).
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from fakecloud.dropbox.hashing import content_hash


@dataclass
class Entry:
    id: str
    path_display: str
    folder: bool
    content: bytes = b""
    rev: str = ""
    server_modified: float = 0.0
    client_modified: float = 0.0
    seq: int = 0
    deleted: bool = False
    content_hash: str = ""
    shared_folder_id: str = ""  # a shared folder's mount point in a member's home
    users: dict[str, str] = field(default_factory=dict)  # explicit file members: account id -> access level
    invitees: dict[str, str] = field(default_factory=dict)  # e-mail -> access level (not on the team)
    links: list[dict[str, Any]] = field(default_factory=list)  # shared links (see sharing_api.link_json)
    properties: dict[str, dict[str, str]] = field(default_factory=dict)  # template id -> field -> value

    @property
    def path_lower(self) -> str:
        return self.path_display.lower()

    @property
    def name(self) -> str:
        return self.path_display.rsplit("/", 1)[-1]


@dataclass
class Namespace:
    id: str
    entries: dict[str, Entry] = field(default_factory=dict)  # path_lower -> entry (tombstones kept)
    seq: int = 0
    generation: int = 0

    def touch(self, entry: Entry) -> None:
        self.seq += 1
        entry.seq = self.seq

    def live(self, path_lower: str) -> Entry | None:
        entry = self.entries.get(path_lower)
        return entry if entry is not None and not entry.deleted else None


@dataclass
class Member:
    team_member_id: str
    account_id: str
    email: str
    given_name: str
    surname: str
    namespace: Namespace
    admin: bool = False


@dataclass
class TeamFolder:
    team_folder_id: str
    name: str
    namespace: Namespace


@dataclass
class SharedFolder:
    """A shared folder: a namespace of its own, with members; mounted into members' homes."""

    shared_folder_id: str
    name: str
    namespace: Namespace
    owner: str  # account id
    users: dict[str, str] = field(default_factory=dict)  # account id -> access level (owner included)
    invitees: dict[str, str] = field(default_factory=dict)  # e-mail -> access level
    time_invited: float = 0.0


@dataclass
class Team:
    name: str
    client_id: str
    client_secret: str
    refresh_token: str
    members: dict[str, Member] = field(default_factory=dict)  # team_member_id -> member
    team_folders: dict[str, TeamFolder] = field(default_factory=dict)
    shared_folders: dict[str, SharedFolder] = field(default_factory=dict)
    templates: dict[str, dict[str, Any]] = field(default_factory=dict)  # file property templates by id
    app_scopes: set[str] | None = None  # the permissions the app was given (None: all)


def _id(prefix: str) -> str:
    return prefix + secrets.token_hex(8)


class DropboxStore:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.teams: dict[str, Team] = {}  # team name -> team
        self.tokens: dict[str, tuple[str, float]] = {}  # access token -> (team name, expiry)
        self.refreshed: set[str] = set()  # access tokens issued for the team's refresh token
        self.scoped: dict[str, set[str]] = {}  # access token -> the scopes it was limited to (``scope``)
        self.token_lifetime = 14400
        self.page_limit = 0  # > 0: list_folder pages are at most this long (tests of paging)
        self._namespaces = 0
        self.sessions: dict[str, bytearray] = {}  # upload session id -> bytes received so far

    # --- apps and tokens -------------------------------------------------------------------
    def team(self, name: str) -> Team:
        team = self.teams.get(name)
        if team is None:
            team = Team(name, _id(""), secrets.token_urlsafe(12), secrets.token_urlsafe(24))
            self.teams[name] = team
        return team

    def app(self, client_id: str) -> Team | None:
        return next((t for t in self.teams.values() if t.client_id == client_id), None)

    def issue(self, team: Team, refreshed: bool = False, scopes: set[str] | None = None) -> tuple[str, int]:
        token = "sl." + secrets.token_urlsafe(24)
        self.tokens[token] = (team.name, time.time() + self.token_lifetime)
        if refreshed:
            self.refreshed.add(token)
        scopes = scopes or team.app_scopes
        if scopes:
            self.scoped[token] = scopes if team.app_scopes is None else scopes & team.app_scopes
        return token, self.token_lifetime

    def allows(self, token: str | None, scope: str) -> bool:
        """Whether the token carries ``scope`` (a token asked for without ``scope`` has every scope)."""
        limited = self.scoped.get(token or "")
        return limited is None or scope in limited

    def revoke(self, token: str) -> None:
        """``auth/token/revoke``: the token, and the refresh token it was issued for, stop working."""
        found = self.tokens.pop(token, None)
        if found is not None and token in self.refreshed:
            self.refreshed.discard(token)
            team = self.teams.get(found[0])
            if team is not None:
                team.refresh_token = ""

    def team_for(self, token: str | None) -> Team | None:
        found = self.tokens.get(token or "")
        if found is None or found[1] < time.time():
            return None
        return self.teams.get(found[0])

    # --- members and team folders ----------------------------------------------------------
    def member(self, team: Team, key: str) -> Member | None:
        key = key.lower()
        return next((m for m in team.members.values()
                     if key in (m.team_member_id.lower(), m.email.lower(), m.account_id.lower())), None)

    def add_member(self, team: Team, email: str, admin: bool = False) -> Member:
        found = self.member(team, email)
        if found is not None:
            return found
        given, _, surname = email.split("@", 1)[0].partition(".")
        member = Member(_id("dbmid:"), _id("dbid:"), email, given.title(), surname.title(),
                        Namespace(self._namespace_id()), admin or not team.members)
        team.members[member.team_member_id] = member
        return member

    def team_folder(self, team: Team, name: str) -> TeamFolder:
        found = next((f for f in team.team_folders.values() if f.name.lower() == name.lower()), None)
        if found is None:
            namespace_id = self._namespace_id()
            found = TeamFolder(namespace_id, name, Namespace(namespace_id))
            team.team_folders[namespace_id] = found
        return found

    def _namespace_id(self) -> str:
        """Namespace ids are numeric and unique across the emulator (members and team folders)."""
        self._namespaces += 1
        return str(1000 + self._namespaces)

    def namespace(self, team: Team, namespace_id: str) -> Namespace | None:
        for member in team.members.values():
            if member.namespace.id == namespace_id:
                return member.namespace
        folder = team.team_folders.get(namespace_id)
        if folder is not None:
            return folder.namespace
        shared = team.shared_folders.get(namespace_id)
        return shared.namespace if shared is not None else None

    def resolve(self, team: Team, ns: Namespace, path: str) -> tuple[Namespace, str]:
        """A path in a member's home below a shared folder's mount point lies in that shared folder
        (the mount point itself is the member's folder)."""
        lower = path.lower()
        for entry in ns.entries.values():
            if entry.shared_folder_id and not entry.deleted and lower.startswith(entry.path_lower + "/"):
                shared = team.shared_folders.get(entry.shared_folder_id)
                if shared is not None:
                    return shared.namespace, path[len(entry.path_lower):]
        return ns, path

    def share(self, team: Team, member: Member, folder: Entry) -> SharedFolder:
        """Make ``folder`` (in the member's home) a shared folder: its contents move into a namespace
        of their own (the home lists them as deleted), the folder stays as the mount point."""
        namespace_id = self._namespace_id()
        shared = SharedFolder(namespace_id, folder.name, Namespace(namespace_id), member.account_id,
                              {member.account_id: "owner"}, time_invited=time.time())
        home, base = member.namespace, folder.path_lower
        for entry in sorted((e for e in home.entries.values() if e.path_lower.startswith(base + "/")
                             and not e.deleted), key=lambda e: e.seq):
            moved = Entry(entry.id, entry.path_display[len(base):], entry.folder, entry.content, entry.rev,
                          entry.server_modified, entry.client_modified, content_hash=entry.content_hash,
                          users=dict(entry.users), invitees=dict(entry.invitees), links=list(entry.links),
                          properties=dict(entry.properties))
            shared.namespace.entries[moved.path_lower] = moved
            shared.namespace.touch(moved)
            entry.deleted, entry.content = True, b""
            home.touch(entry)
        folder.shared_folder_id = namespace_id
        home.touch(folder)
        team.shared_folders[namespace_id] = shared
        return shared

    def mount(self, member: Member, shared: SharedFolder) -> Entry:
        """Mount a shared folder into a member's home at ``/<name>`` (``/<name> (1)`` when taken)."""
        existing = self.mount_point(member, shared.shared_folder_id)
        if existing is not None:
            return existing
        path, n = "/" + shared.name, 0
        while member.namespace.live(path.lower()) is not None:
            n += 1
            path = f"/{shared.name} ({n})"
        entry = Entry(_id("id:"), path, True, shared_folder_id=shared.shared_folder_id)
        member.namespace.entries[path.lower()] = entry
        member.namespace.touch(entry)
        return entry

    @staticmethod
    def mount_point(member: Member, shared_folder_id: str) -> Entry | None:
        return next((e for e in member.namespace.entries.values()
                     if e.shared_folder_id == shared_folder_id and not e.deleted), None)

    # --- files -----------------------------------------------------------------------------
    def ensure_folder(self, ns: Namespace, path: str) -> Entry | None:
        """Create the folder ``path`` (``/A/b``) and its parents; None for the root."""
        parts = [p for p in path.split("/") if p]
        entry = None
        for depth in range(1, len(parts) + 1):
            display = "/" + "/".join(parts[:depth])
            entry = ns.live(display.lower())
            if entry is None:
                entry = Entry(_id("id:"), display, True)
                ns.entries[display.lower()] = entry
                ns.touch(entry)
            elif not entry.folder:
                raise ValueError(f"{display} is a file, not a folder")
        return entry

    def put_file(self, ns: Namespace, path: str, content: bytes, modified: float | None = None) -> Entry:
        path = "/" + path.strip("/")
        if path == "/":
            raise ValueError("a file needs a name")
        parent = path.rsplit("/", 1)[0]
        self.ensure_folder(ns, parent)
        existing = ns.live(path.lower())
        if existing is not None and existing.folder:
            raise ValueError(f"{path} is a folder")
        now = time.time()
        entry = existing or Entry(_id("id:"), path, False)
        if existing is None:
            # keep the display case of the existing parent folders
            parent_entry = ns.live(parent.lower())
            if parent_entry is not None:
                entry.path_display = parent_entry.path_display + "/" + path.rsplit("/", 1)[1]
            ns.entries[path.lower()] = entry
        entry.content = content
        entry.content_hash = content_hash(content)
        entry.rev = secrets.token_hex(9)
        entry.server_modified = now
        entry.client_modified = modified if modified is not None else now
        ns.touch(entry)
        return entry

    def delete(self, ns: Namespace, path: str) -> Entry:
        path_lower = "/" + path.strip("/").lower()
        entry = ns.live(path_lower)
        if entry is None:
            raise KeyError(f"no file or folder {path!r}")
        # As Dropbox documents for list_folder: a deleted folder is one DeletedMetadata entry and the
        # client removes "it and all its children"; the children become tombstones without a new change.
        for child in [e for p, e in ns.entries.items() if p.startswith(path_lower + "/") and not e.deleted]:
            child.deleted = True
            child.content = b""
        entry.deleted = True
        entry.content = b""
        ns.touch(entry)
        return entry

    def invalidate(self, ns: Namespace) -> None:
        ns.generation += 1
