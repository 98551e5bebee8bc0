"""The ``files`` backup service of a Dropbox team: every member's files and folders, and team folders.

Scopes: each active member (id = team member id, kind ``member``) and each active team folder (id
``teamfolder:<namespace id>``, kind ``teamfolder``, read as the team admin with
``Dropbox-API-Path-Root``). Cursor: ``{"cursor": <list_folder cursor>}``; the first round is
``files/list_folder`` (recursive, from the root), later rounds ``files/list_folder/continue``. A 409
``reset`` is a normal path: the round starts again from the root with ``reset=True`` (the sink then
re-references every unchanged file by its ``content_hash`` instead of downloading it again).

Items: source id = ``path_lower`` (Dropbox reports deletions by path only); folders as kind
``folder``, files as kind ``file`` with ``stream()``; ``.tag: deleted`` entries as deletions. Metadata:
path, name, id, size, server_modified, client_modified, rev, content_hash (also as ``hash``, the
sink's content tag, so unchanged files are never downloaded twice) and sharing_info.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from kustos.sources.base import Batch, ConnectorError, Cursor, Item, Scope
from kustos.sources.dropbox.session import DropboxError, DropboxSession

TEAM_FOLDER = "teamfolder:"
FILE_META = ("id", "size", "server_modified", "client_modified", "rev", "content_hash", "sharing_info",
             "is_downloadable")


def split(path_display: str) -> tuple[str, str]:
    """``/A/b/c.txt`` → (``A/b``, ``c.txt``)."""
    folder, _, name = path_display.strip("/").rpartition("/")
    return folder, name


class FilesService:
    name: ClassVar[str] = "files"
    scope_kind: ClassVar[str] = "member"

    def __init__(self, session: DropboxSession, *, page_size: int = 2000, team_folders: bool = True) -> None:
        self.session = session
        self.page_size = page_size
        self.team_folders = team_folders
        self._admin: str | None = None

    # --- scopes -------------------------------------------------------------------------
    def scopes(self) -> Iterator[Scope]:
        admin = None
        for member in self.session.members():
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

    def check(self, scope: Scope) -> None:
        member, namespace = self._who(scope)
        self.session.call("files/list_folder", {"path": "", "limit": 1}, member=member, namespace=namespace)

    def _who(self, scope: Scope) -> tuple[str, str | None]:
        """(member to act as, namespace root or None) of a scope."""
        if not scope.id.startswith(TEAM_FOLDER):
            return scope.id, None
        admin = scope.meta.get("admin") or self._admin
        if not admin:
            admins = [m for m in self.session.members() if m.get("role") == "team_admin"]
            if not admins:
                raise ConnectorError("the Dropbox team has no admin to read its team folders as")
            admin = self._admin = str(admins[0]["team_member_id"])
        return str(admin), scope.id[len(TEAM_FOLDER):]

    # --- fetch --------------------------------------------------------------------------
    def fetch(self, scope: Scope, cursor: Cursor | None) -> Iterator[Batch]:
        member, namespace = self._who(scope)
        token = (cursor or {}).get("cursor")
        reset = False
        if token:
            try:
                page = self.session.call("files/list_folder/continue", {"cursor": token}, member=member,
                                         namespace=namespace)
            except DropboxError as exc:
                if exc.status == 409 and exc.tag == "reset":
                    page, reset = self._start(member, namespace), True
                else:
                    raise
        else:
            page = self._start(member, namespace)
        while True:
            items = [item for item in (self._item(scope, member, namespace, row) for row in page.get("entries", []))
                     if item is not None]
            yield Batch(items, {"cursor": page["cursor"]}, reset=reset)
            if not page.get("has_more"):
                return
            page = self.session.call("files/list_folder/continue", {"cursor": page["cursor"]}, member=member,
                                     namespace=namespace)

    def _start(self, member: str, namespace: str | None) -> dict[str, Any]:
        return self.session.call("files/list_folder", {"path": "", "recursive": True, "include_deleted": False,
                                                       "limit": self.page_size}, member=member, namespace=namespace)

    def _item(self, scope: Scope, member: str, namespace: str | None, row: Mapping[str, Any]) -> Item | None:
        tag = row.get(".tag")
        path_lower = str(row.get("path_lower") or "")
        display = str(row.get("path_display") or path_lower)
        if not path_lower:
            return None
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
        return Item(source_id=path_lower, kind="file", folder=folder, meta=meta,
                    stream=lambda: self.session.download(file_id, member=member, namespace=namespace))
