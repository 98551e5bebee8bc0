"""The ``files`` backup service of a Dropbox team: members' files and folders, team folders, the
shared folders members mounted, and the team's file property templates.

Scopes: each active member (id = team member id, kind ``member``); each active team folder (id
``teamfolder:<namespace id>``, kind ``teamfolder``, read as the team admin with
``Dropbox-API-Path-Root``); each shared folder a member mounted (``sharing/list_folders``), once
however many members mounted it (id ``shared:<shared folder id>``, kind ``sharedfolder``, read as the
first member who mounted it with ``Dropbox-API-Path-Root``; its items lie below a folder named like
the shared folder, whose meta holds the folder's members); and the team (id ``team``, kind ``team``:
the file property templates, ``properties.py``). A member's own listing leaves the mounted folders'
contents out (``include_mounted_folders: false``): they are backed up once, in their own scopes.

Cursor: ``{"cursor": <list_folder cursor>, "templates": [ids], "listed": <epoch>, "v": 2}``; the first round is
``files/list_folder`` (recursive, from the root), later rounds ``files/list_folder/continue``. A 409
``reset`` is a normal path: the round starts again from the root with ``reset=True`` (the sink then
re-references every unchanged file by its ``content_hash`` instead of downloading it again); so does a
changed set of team templates, a cursor of an earlier version, and a last full listing (``listed``)
older than ``sweep`` seconds (a day): a file's members, links and properties can change without a
new revision, so the delta alone would not show it.

Items: source id = ``path_lower`` (Dropbox reports deletions by path only); folders as kind
``folder``, files as kind ``file`` with ``stream()``; ``.tag: deleted`` entries as deletions. Metadata:
path, name, id, size, server_modified, client_modified, rev, content_hash (also as ``hash``, the
sink's content tag, so unchanged files are never downloaded twice), sharing_info, ``members`` (a
file's explicit members; a shared folder's members), ``shared_links`` and ``property_groups`` (with
``property_templates``: template id → name). Sharing and properties are read for the items a round
lists (new, changed, or all after a reset or sweep); a shared folder's members are read every round.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from kustos.sources.base import Batch, ConnectorError, Cursor, Item, Scope
from kustos.sources.dropbox.properties import TemplateReader
from kustos.sources.dropbox.session import DropboxError, DropboxSession
from kustos.sources.dropbox.sharing import SharingReader

TEAM_FOLDER = "teamfolder:"
SHARED = "shared:"
TEAM = "team"
VERSION = 2  # cursors of version 1 listed mounted folders' contents in members' scopes
SWEEP = 24 * 3600  # seconds between full listings (sharing and property changes make no new revision)
FILE_META = ("id", "size", "server_modified", "client_modified", "rev", "content_hash", "sharing_info",
             "is_downloadable")


def split(path_display: str) -> tuple[str, str]:
    """``/A/b/c.txt`` → (``A/b``, ``c.txt``)."""
    folder, _, name = path_display.strip("/").rpartition("/")
    return folder, name


class FilesService:
    name: ClassVar[str] = "files"
    scope_kind: ClassVar[str] = "member"

    def __init__(self, session: DropboxSession, *, page_size: int = 2000, team_folders: bool = True,
                 shared_folders: bool = True, team: bool = True, sweep: float = SWEEP) -> None:
        self.session = session
        self.sweep = sweep
        self.page_size = page_size
        self.team_folders = team_folders
        self.shared_folders = shared_folders
        self.team = team
        self.sharing = SharingReader(session)
        self.templates = TemplateReader(session)
        self._admin: str | None = None
        self._readers: dict[str, tuple[str, str]] = {}  # shared folder id -> (member reading it, its name)
        self._template_names: dict[str, str] | None = None

    # --- scopes -------------------------------------------------------------------------
    def scopes(self) -> Iterator[Scope]:
        admin = None
        members = list(self.session.members())
        for member in members:
            if admin is None and member.get("role") == "team_admin":
                admin = str(member["team_member_id"])
            name = member.get("name") or {}
            yield Scope(id=str(member["team_member_id"]), kind="member", name=str(member.get("email") or ""),
                        meta={"account_id": member.get("account_id"), "email": member.get("email"),
                              "display_name": name.get("display_name"),
                              "namespace": member.get("member_folder_id") or member.get("root_folder_id")})
        self._admin = admin
        if self.team_folders and admin is not None:
            for folder in self.session.team_folders():
                yield Scope(id=TEAM_FOLDER + str(folder["team_folder_id"]), kind="teamfolder",
                            name=str(folder.get("name") or ""), meta={"name": folder.get("name"), "admin": admin})
        if self.shared_folders:
            yield from self._shared_scopes(members)
        if self.team:
            yield Scope(id=TEAM, kind="team", name="Team", meta={"content": "file property templates"})

    def _shared_scopes(self, members: list[dict[str, Any]]) -> Iterator[Scope]:
        """Every mounted shared folder once (by shared folder id), read as the first member who mounted it."""
        readers: dict[str, tuple[str, str]] = {}
        for member in members:
            member_id = str(member["team_member_id"])
            for row in self.sharing.mounted_folders(member_id):
                folder_id = str(row["shared_folder_id"])
                if folder_id in readers:
                    continue
                readers[folder_id] = (member_id, str(row.get("name") or folder_id))
                yield Scope(id=SHARED + folder_id, kind="sharedfolder", name=str(row.get("name") or ""),
                            meta={"name": row.get("name"), "member": member_id, "mounted_by": member.get("email"),
                                  "owners": row.get("owner_display_names") or []})
        self._readers = readers

    def check(self, scope: Scope) -> None:
        if scope.id == TEAM:
            self.templates.ids()
            return
        member, namespace, _ = self._who(scope)
        self.session.call("files/list_folder", {"path": "", "limit": 1}, member=member, namespace=namespace)

    def _who(self, scope: Scope) -> tuple[str, str | None, str]:
        """(member to act as, namespace root or None, the folder the scope's items lie below)."""
        if scope.id.startswith(SHARED):
            folder_id = scope.id[len(SHARED):]
            member, name = scope.meta.get("member"), scope.meta.get("name")
            if not member or not name:
                if folder_id not in self._readers:
                    list(self.scopes())
                if folder_id not in self._readers:
                    raise ConnectorError(f"no member of the Dropbox team has the shared folder {folder_id} mounted")
                member, name = self._readers[folder_id]
            return str(member), folder_id, str(name)
        if not scope.id.startswith(TEAM_FOLDER):
            return scope.id, None, ""
        admin = scope.meta.get("admin") or self._admin
        if not admin:
            admins = [m for m in self.session.members() if m.get("role") == "team_admin"]
            if not admins:
                raise ConnectorError("the Dropbox team has no admin to read its team folders as")
            admin = self._admin = str(admins[0]["team_member_id"])
        return str(admin), scope.id[len(TEAM_FOLDER):], ""

    # --- fetch --------------------------------------------------------------------------
    def fetch(self, scope: Scope, cursor: Cursor | None) -> Iterator[Batch]:
        if scope.id == TEAM:
            yield from self.templates.fetch(cursor)
            return
        member, namespace, top = self._who(scope)
        listing = _Listing(self, scope, member, namespace, top)
        token = (cursor or {}).get("cursor")
        listed = float((cursor or {}).get("listed") or 0)
        fresh = bool(token) and ((cursor or {}).get("v") != VERSION
                                 or list((cursor or {}).get("templates") or []) != listing.template_ids
                                 or time.time() - listed >= self.sweep)
        reset = False
        if token and not fresh:
            try:
                page = self.session.call("files/list_folder/continue", {"cursor": token}, member=member,
                                         namespace=namespace)
            except DropboxError as exc:
                if exc.status == 409 and exc.tag == "reset":
                    page, reset, listed = listing.start(), True, time.time()
                else:
                    raise
        else:
            page, reset, listed = listing.start(), fresh, time.time()
        head = listing.root() if top else []
        while True:
            items = head + listing.items(page.get("entries", []))
            head = []
            yield Batch(items, {"cursor": page["cursor"], "templates": listing.template_ids, "listed": listed,
                                "v": VERSION}, reset=reset)
            if not page.get("has_more"):
                return
            page = self.session.call("files/list_folder/continue", {"cursor": page["cursor"]}, member=member,
                                     namespace=namespace)

    def template_names(self, ids: list[str]) -> dict[str, str]:
        if self._template_names is None or not set(ids) <= set(self._template_names):
            self._template_names = {t: str(self.templates.get(t).get("name") or "") for t in ids}
        return self._template_names


class _Listing:
    """One round of one scope: the list_folder arguments, and rows → items with their sharing metadata."""

    def __init__(self, service: FilesService, scope: Scope, member: str, namespace: str | None, top: str) -> None:
        self.service, self.scope, self.member, self.namespace, self.top = service, scope, member, namespace, top
        self.session = service.session
        self.template_ids = sorted(service.templates.ids_or_none()) if service.team else []
        self._links: dict[str, list[dict[str, Any]]] | None = None

    def start(self) -> dict[str, Any]:
        args: dict[str, Any] = {"path": "", "recursive": True, "include_deleted": False,
                                "limit": self.service.page_size, "include_has_explicit_shared_members": True}
        if self.namespace is None and self.service.shared_folders:  # mounted folders are scopes of their own
            args["include_mounted_folders"] = False
        if self.template_ids:
            args["include_property_groups"] = {".tag": "filter_some", "filter_some": self.template_ids}
        result: dict[str, Any] = self.session.call("files/list_folder", args, member=self.member,
                                                   namespace=self.namespace)
        return result

    def links(self) -> dict[str, list[dict[str, Any]]]:
        if self._links is None:
            self._links = self.service.sharing.links(self.member, self.namespace)
        return self._links

    def root(self) -> list[Item]:
        """A shared folder's own folder, with its members (read every round)."""
        folder_id = str(self.namespace)
        members = self.service.sharing.folder_members(folder_id, self.member)
        return [Item(source_id="/" + self.top.lower(), kind="folder", folder="",
                     meta={"name": self.top, "path": self.top, "shared_folder_id": folder_id, "members": members})]

    def items(self, rows: list[Mapping[str, Any]]) -> list[Item]:
        explicit = [str(r["id"]) for r in rows if r.get(".tag") == "file" and r.get("has_explicit_shared_members")]
        members = self.service.sharing.file_members(explicit, self.member, self.namespace) if explicit else {}
        out = []
        for row in rows:
            item = self.item(row)
            if item is None:
                continue
            if not item.deleted:
                self.enrich(item, row, members)
            out.append(item)
        return out

    def enrich(self, item: Item, row: Mapping[str, Any], members: Mapping[str, Any]) -> None:
        row_id = str(row.get("id") or "")
        if row_id in members and any(members[row_id].values()):
            item.meta["members"] = members[row_id]
        links = self.links().get(row_id) if row_id else None
        if links:
            item.meta["shared_links"] = links
        groups = [g for g in row.get("property_groups") or [] if g.get("fields")]
        if groups:
            item.meta["property_groups"] = groups
            names = self.service.template_names(self.template_ids)
            item.meta["property_templates"] = {g["template_id"]: names.get(g["template_id"], "") for g in groups}

    def item(self, row: Mapping[str, Any]) -> Item | None:
        tag = row.get(".tag")
        path_lower = str(row.get("path_lower") or "")
        display = str(row.get("path_display") or path_lower)
        if not path_lower:
            return None
        if self.top:  # a shared folder's items lie below its own folder
            path_lower, display = f"/{self.top.lower()}{path_lower}", f"/{self.top}{display}"
        folder, name = split(display)
        if tag == "deleted":
            return Item(source_id=path_lower, kind="file", folder=folder, deleted=True,
                        meta={"name": name, "path": display.strip("/")})
        meta: dict[str, Any] = {"name": str(row.get("name") or name), "path": display.strip("/")}
        meta.update({key: row[key] for key in FILE_META if key in row})
        if tag == "folder":
            return Item(source_id=path_lower, kind="folder", folder=folder, meta=meta)
        if tag != "file":
            return None
        if row.get("content_hash"):
            meta["hash"] = row["content_hash"]  # the sink's content tag: an unchanged file is not read again
        meta["modified"] = row.get("server_modified")
        file_id = str(row.get("id") or display)
        member, namespace, session = self.member, self.namespace, self.session
        return Item(source_id=path_lower, kind="file", folder=folder, meta=meta,
                    stream=lambda: session.download(file_id, member=member, namespace=namespace))
