"""OneDrive for Business backup: every user's drive through ``root/delta``.

Scope: a user with a drive (``Scope.meta["drive_id"]``). Cursor: ``{"link": deltaLink or
nextLink, "folders": {folder id: path}}``; delta rows carry ``parentReference`` without a path, so
the cursor keeps the folder paths it has seen (folders only, never files) and a parent it does not
know is read once with ``GET /items/{id}`` (whose ``parentReference.path`` is the full path).
Items: folders as kind ``folder``, files as kind ``file`` with ``stream()`` (see ``download.py``);
deletions as ``deleted=True``; a 410 / resync code restarts the round with ``reset=True``.
Item paths are ``/``-separated without a leading slash (the root folder is ``""``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar
from urllib.parse import quote, unquote

from kustos.sources.base import Batch, ConnectorError, Cursor, Item, Scope
from kustos.sources.graph.backup.download import stream_download
from kustos.sources.graph.backup.session import GraphSession
from kustos.sources.graph.delta import delta_round
from kustos.sources.http import iter_link_pages

log = logging.getLogger(__name__)

ROOT_PREFIX = "/drive/root:"
#: Delta rows per page asked for (``Prefer: odata.maxpagesize``): the 1,000 OneDrive and SharePoint
#: accept for drive listings (the service may send fewer; the paging follows ``@odata.nextLink``).
#: Large pages keep a first full listing to a few requests.
DELTA_PAGE = 1000
FILE_META = ("name", "eTag", "cTag", "size", "createdDateTime", "lastModifiedDateTime", "webUrl")


def join(folder: str, name: str) -> str:
    return f"{folder}/{name}" if folder else name


def path_from_reference(reference: Mapping[str, Any]) -> str | None:
    """``/drive/root:/A/b`` (or ``/drives/{id}/root:/A/b``) → ``A/b``; None without a path."""
    path = reference.get("path")
    if not isinstance(path, str) or "root:" not in path:
        return None
    return unquote(path.split("root:", 1)[1]).strip("/")


def file_meta(row: Mapping[str, Any], drive_id: str) -> dict[str, Any]:
    meta: dict[str, Any] = {key: row[key] for key in FILE_META if key in row}
    hashes = (row.get("file") or {}).get("hashes") or {}
    for name in ("quickXorHash", "sha256Hash", "sha1Hash"):
        if hashes.get(name):
            meta[name] = hashes[name]
    for who in ("createdBy", "lastModifiedBy"):
        if row.get(who):
            meta[who] = row[who]
    if row.get("file", {}).get("mimeType"):
        meta["mimeType"] = row["file"]["mimeType"]
    if row.get("fileSystemInfo"):
        meta["fileSystemInfo"] = row["fileSystemInfo"]
    if row.get("shared"):
        meta["shared"] = row["shared"]
    meta["drive_id"] = drive_id
    return meta


class OneDriveService:
    """The ``onedrive`` backup service of a Microsoft 365 connection."""

    name: ClassVar[str] = "onedrive"
    scope_kind: ClassVar[str] = "drive"

    def __init__(self, session: GraphSession, *, page_size: int = DELTA_PAGE, permissions: bool = False,
                 chunk_size: int = 1024 * 1024) -> None:
        self.session = session
        self.http = session.http
        self.page_size = page_size
        self.permissions = permissions  # every file's (one extra request each); shared files' always
        self.chunk_size = chunk_size

    # --- scopes -------------------------------------------------------------------------
    def scopes(self) -> Iterator[Scope]:
        """Every user with a OneDrive (a user without one answers 404 and is skipped)."""
        for user in self.session.users():
            user_id = str(user["id"])
            response = self.http.request("GET", self.session.user_url(user_id, "/drive"), key=user_id,
                                         params={"$select": "id,driveType,webUrl"})
            if response.status_code == 404:
                continue
            drive = self.http.expect(response).json()
            yield Scope(id=user_id, kind=self.scope_kind,
                        name=str(user.get("userPrincipalName") or user.get("mail") or user_id),
                        meta={"drive_id": str(drive["id"]), "driveType": drive.get("driveType"),
                              "displayName": user.get("displayName")})

    def check(self, scope: Scope) -> None:
        self.http.get_json(self._drive_url(scope, "/root"), key=scope.id)

    # --- fetch --------------------------------------------------------------------------
    def fetch(self, scope: Scope, cursor: Cursor | None) -> Iterator[Batch]:
        folders: dict[str, str] = {str(k): str(v) for k, v in ((cursor or {}).get("folders") or {}).items()}
        start = self._delta_start(scope)
        resynced = False
        for page in delta_round(self.http, (cursor or {}).get("link") or start, start, key=scope.id,
                                page_size=self.page_size, what="a OneDrive", where=f"the OneDrive of {scope.id}"):
            if page.reset and not resynced:  # the round starts again: so do the known folder paths
                folders.clear()
                resynced = True
            items = self._items(scope, page.rows, folders)
            yield Batch(items, {"link": page.link, "folders": dict(folders)}, reset=page.reset)

    # --- internals ----------------------------------------------------------------------
    def _drive_url(self, scope: Scope, path: str) -> str:
        drive_id = scope.meta.get("drive_id")
        if not drive_id:  # a scope rebuilt from its id alone: the user's drive by alias
            return f"{self.session.user_url(scope.id, '/drive')}{path}"
        return f"{self.session.base}/drives/{quote(str(drive_id), safe='')}{path}"

    def _delta_start(self, scope: Scope) -> str:
        return self._drive_url(scope, "/root/delta")

    def _items(self, scope: Scope, rows: list[Mapping[str, Any]], folders: dict[str, str]) -> list[Item]:
        """Items of one delta page; a folder that was renamed or moved brings everything below it
        again (delta reports only the folder, but every path under it changed)."""
        items: list[Item] = []
        for row in rows:
            before = folders.get(str(row["id"]))
            item = self._item(scope, row, folders)
            if item is None:
                continue
            items.append(item)
            if item.kind == "folder" and not item.deleted and before is not None and before != item.meta["path"]:
                items += self._below(scope, item.source_id, folders)
        return items

    def _below(self, scope: Scope, folder_id: str, folders: dict[str, str]) -> list[Item]:
        items: list[Item] = []
        stack = [folder_id]
        while stack:
            url = self._drive_url(scope, f"/items/{quote(stack.pop(), safe='')}/children?$top=200")
            for page in iter_link_pages(lambda link: self.http.get_json(link, key=scope.id), url):
                for row in page.get("value", []):
                    item = self._item(scope, row, folders)
                    if item is not None:
                        items.append(item)
                        if item.kind == "folder":
                            stack.append(item.source_id)
        return items

    def _item(self, scope: Scope, row: Mapping[str, Any], folders: dict[str, str]) -> Item | None:
        item_id = str(row["id"])
        drive_id = str(scope.meta.get("drive_id", ""))
        if "deleted" in row or "@removed" in row:
            was_folder = item_id in folders
            path = folders.pop(item_id, None)
            return Item(source_id=item_id, kind="folder" if was_folder or "folder" in row else "file", deleted=True,
                        folder=path.rsplit("/", 1)[0] if path and "/" in path else "",
                        meta={"drive_id": drive_id, **({"path": path} if path is not None else {})})
        if "root" in row:
            folders[item_id] = ""
            return None
        parent = self._parent_path(scope, row, folders)
        name = str(row.get("name", ""))
        path = join(parent, name)
        meta = file_meta(row, drive_id)
        meta["path"] = path
        if "folder" in row:
            folders[item_id] = path
            meta["childCount"] = row["folder"].get("childCount")
            return Item(source_id=item_id, kind="folder", folder=parent, meta=meta)
        if "file" not in row:
            return None  # packages, notebooks and other facets are not files (content cannot be read)
        if self.permissions or row.get("shared"):  # shared items always: their links and grants are kept
            meta["permissions"] = self._permissions(scope, item_id)
        url = row.get("@microsoft.graph.downloadUrl")
        size = int(row.get("size") or 0)
        return Item(source_id=item_id, kind="file", folder=parent, meta=meta,
                    stream=lambda: self.stream(scope, item_id, size, str(url) if url else None))

    def stream(self, scope: Scope, item_id: str, size: int, url: str | None = None) -> Iterator[bytes]:
        """The file's content in chunks; an expired download URL is fetched again and resumed."""
        return stream_download(self.http, scope.id, url or self._fresh_url(scope, item_id), size,
                               lambda: self._fresh_url(scope, item_id), self.chunk_size)

    def _fresh_url(self, scope: Scope, item_id: str) -> str:
        row = self.http.get_json(self._drive_url(scope, f"/items/{quote(item_id, safe='')}"), key=scope.id)
        url = row.get("@microsoft.graph.downloadUrl")
        if not url:
            raise ConnectorError("Microsoft Graph gave no download URL for a file")
        return str(url)

    def _parent_path(self, scope: Scope, row: Mapping[str, Any], folders: dict[str, str]) -> str:
        reference = row.get("parentReference") or {}
        parent_id = str(reference.get("id") or "")
        if parent_id in folders:
            return folders[parent_id]
        known = path_from_reference(reference)
        if known is None and parent_id:
            try:
                parent = self.http.get_json(self._drive_url(scope, f"/items/{quote(parent_id, safe='')}"),
                                            key=scope.id)
            except ConnectorError:
                parent = {}
            if "root" in parent:
                known = ""
            else:
                above = path_from_reference(parent.get("parentReference") or {})
                known = join(above, str(parent.get("name", ""))) if above is not None else ""
        if parent_id:
            folders[parent_id] = known or ""
        return known or ""

    def _permissions(self, scope: Scope, item_id: str) -> list[dict[str, Any]]:
        url = self._drive_url(scope, f"/items/{quote(item_id, safe='')}/permissions")
        return list(self.http.get_json(url, key=scope.id).get("value", []))
