"""Google Drive backup: every user's My Drive and every shared drive, through Drive API v3.

Scopes: a user (``<e-mail>``: My Drive) and a shared drive (``shared:<drive id>``, read as one of
its members, ``Scope.meta["as"]``). The first fetch takes ``changes.getStartPageToken`` and then
lists every file (``files.list`` with ``pageToken``); later fetches read ``changes.list`` up to its
``newStartPageToken``. A change token Drive no longer accepts (400 ``invalid``) starts the scope
again with ``reset=True``.

Cursor: ``{"token": change token, "folders": {folder id: path}, "native": [ids]}``.

Items: folders (kind ``folder``); binary files (kind ``file``, streamed, with owners, permissions,
description and the list of revisions in ``meta``; the content of every earlier revision as kind
``revision`` items ``<revision id><ext>`` in the folder ``<name>.revisions``); Google Docs, Sheets, Slides and Drawings are
exported twice, to OOXML (``<name>.docx``/``.xlsx``/``.pptx``, drawings ``.svg``) and to PDF
(``<name>.pdf``), source ids ``<id>:ooxml`` and ``<id>:pdf``. An export Drive refuses because the
file is past its 10 MB export limit (403 ``exportSizeLimitExceeded``) becomes one item
``<name>.export-failed.json`` (kind ``native``, source id ``<id>``) holding the file's metadata and
``"export": "exportSizeLimitExceeded"`` — the snapshot says so instead of the run failing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from functools import partial
from typing import Any, ClassVar
from urllib.parse import quote

from kustos.sources.base import Batch, Cursor, Item, Scope
from kustos.sources.google.download import stream_media
from kustos.sources.google.session import GoogleSession, error_reasons

FOLDER = "application/vnd.google-apps.folder"
EXPORTS = {"application/vnd.google-apps.document": (
               "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
           "application/vnd.google-apps.spreadsheet": (
               "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
           "application/vnd.google-apps.presentation": (
               "application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx"),
           "application/vnd.google-apps.drawing": ("image/svg+xml", "svg")}
PDF = "application/pdf"
FIELDS = ("id,name,mimeType,parents,driveId,description,trashed,createdTime,modifiedTime,version,size,"
          "md5Checksum,sha256Checksum,owners,permissions,permissionIds,headRevisionId")
META = ("mimeType", "description", "createdTime", "modifiedTime", "version", "size", "md5Checksum",
        "sha256Checksum", "owners", "permissions", "headRevisionId", "driveId")
BATCH = 200


def join(folder: str, name: str) -> str:
    return f"{folder}/{name}" if folder else name


class DriveService:
    """The ``drive`` backup service of a Google Workspace connection."""

    name: ClassVar[str] = "drive"

    def __init__(self, session: GoogleSession, page_size: int = 1000, revisions: bool = True) -> None:
        self.session = session
        self.http = session.http
        self.page_size = page_size
        self.revisions = revisions

    # --- scopes -------------------------------------------------------------------------
    def scopes(self) -> Iterator[Scope]:
        shared: dict[str, Scope] = {}
        for user in self.session.users():
            yield Scope(id=user.id, kind="drive", name=user.name, meta={"as": user.id, **user.meta})
            body = self.session.json(f"{self.session.drive}/drives", user.id, "drive", {"pageSize": "100"})
            for drive in body.get("drives", []):
                drive_id = str(drive["id"])
                shared.setdefault(drive_id, Scope(id=f"shared:{drive_id}", kind="shared-drive",
                                                  name=str(drive.get("name") or drive_id),
                                                  meta={"as": user.id, "drive_id": drive_id}))
        yield from shared.values()

    def check(self, scope: Scope) -> None:
        self.session.json(f"{self.session.drive}/changes/startPageToken", self._user(scope), "drive",
                          self._drive_params(scope))

    # --- fetch --------------------------------------------------------------------------
    def fetch(self, scope: Scope, cursor: Cursor | None) -> Iterator[Batch]:
        if cursor and cursor.get("token"):
            try:
                yield from self._changes(scope, cursor)
                return
            except _Invalid:
                yield from self._full(scope, reset=True)
                return
        yield from self._full(scope, reset=False)

    # --- internals ----------------------------------------------------------------------
    @staticmethod
    def _user(scope: Scope) -> str:
        return str(scope.meta.get("as") or scope.id)

    @staticmethod
    def _drive_id(scope: Scope) -> str:
        return scope.id.partition(":")[2] if scope.id.startswith("shared:") else ""

    def _drive_params(self, scope: Scope) -> dict[str, str]:
        drive_id = self._drive_id(scope)
        return {"supportsAllDrives": "true", **({"driveId": drive_id} if drive_id else {})}

    def _list(self, scope: Scope, q: str) -> Iterator[list[Mapping[str, Any]]]:
        """The drive's files matching ``q``, page by page (My Drive: only what the user owns; files shared
        with them are backed up with their owner)."""
        drive_id = self._drive_id(scope)
        params = {"q": q, "pageSize": str(self.page_size), "fields": f"nextPageToken,files({FIELDS})",
                  "supportsAllDrives": "true"}
        if drive_id:
            params.update({"corpora": "drive", "driveId": drive_id, "includeItemsFromAllDrives": "true"})
        page: str | None = None
        while True:
            body = self.session.json(f"{self.session.drive}/files", self._user(scope), "drive",
                                     {**params, **({"pageToken": page} if page else {})})
            rows = body.get("files", [])
            yield rows if drive_id else [r for r in rows if any(o.get("me") for o in r.get("owners", []))]
            page = body.get("nextPageToken")
            if not page:
                return

    def _full(self, scope: Scope, reset: bool) -> Iterator[Batch]:
        """Folders first (their paths are needed by every file), then the files one page at a time, so
        memory holds one page of items and the folder tree, never a drive's whole file list."""
        token = str(self.session.json(f"{self.session.drive}/changes/startPageToken", self._user(scope), "drive",
                                      self._drive_params(scope))["startPageToken"])
        folders = {str(r["id"]): r for page in self._list(scope, f"mimeType = '{FOLDER}' and trashed = false")
                   for r in page}
        paths: dict[str, str] = {}

        def path_of(folder_id: str, depth: int = 0) -> str:
            if folder_id in paths:
                return paths[folder_id]
            row = folders.get(folder_id)
            if row is None or depth > 64:
                return ""  # the drive's root (or a parent we cannot see)
            parent = str((row.get("parents") or [""])[0])
            paths[folder_id] = join(path_of(parent, depth + 1), str(row["name"]))
            return paths[folder_id]

        def items_of(rows: Iterable[Mapping[str, Any]]) -> list[Item]:
            items: list[Item] = []
            for row in rows:
                if row.get("mimeType") in EXPORTS:
                    native.append(str(row["id"]))
                items += self._items(scope, row, path_of(str((row.get("parents") or [""])[0])))
            return items

        native: list[str] = []
        for folder_id in folders:
            path_of(folder_id)
        pending = items_of(folders.values())
        for page in self._list(scope, f"mimeType != '{FOLDER}' and trashed = false"):
            pending += items_of(page)
            while len(pending) >= BATCH:
                yield Batch(pending[:BATCH], None, reset=reset)
                pending = pending[BATCH:]
        state = {"token": token, "folders": {k: paths[k] for k in folders if k in paths}, "native": native}
        yield Batch(pending, state, reset=reset)

    def _changes(self, scope: Scope, cursor: Cursor) -> Iterator[Batch]:
        user = self._user(scope)
        folders: dict[str, str] = {str(k): str(v) for k, v in (cursor.get("folders") or {}).items()}
        native = set(str(x) for x in cursor.get("native") or [])
        token = str(cursor["token"])
        params = {"pageSize": str(self.page_size), "supportsAllDrives": "true", "includeRemoved": "true",
                  "fields": f"nextPageToken,newStartPageToken,changes(fileId,removed,file({FIELDS}))"}
        drive_id = self._drive_id(scope)
        if drive_id:
            params.update({"driveId": drive_id, "includeItemsFromAllDrives": "true"})
        while True:
            response = self.session.call("GET", f"{self.session.drive}/changes", user, "drive",
                                         params={**params, "pageToken": token})
            if response.status_code in (400, 404) and error_reasons(response) & {"invalid", "notFound"}:
                raise _Invalid()
            body = self.http.expect(response).json()
            items: list[Item] = []
            for change in body.get("changes", []):
                file_id = str(change.get("fileId"))
                row = change.get("file") or {}
                if change.get("removed") or row.get("trashed"):
                    items += self._removed(file_id, folders, native, row)
                    continue
                if not drive_id and not any(o.get("me") for o in row.get("owners", [])):
                    continue
                parent = self._parent_path(scope, row, folders)
                if row.get("mimeType") == FOLDER:
                    folders[file_id] = join(parent, str(row.get("name", "")))
                if row.get("mimeType") in EXPORTS:
                    native.add(file_id)
                items += self._items(scope, row, parent)
            token = str(body.get("nextPageToken") or body.get("newStartPageToken") or token)
            state = {"token": token, "folders": dict(folders), "native": sorted(native)}
            yield Batch(items, state)
            if not body.get("nextPageToken"):
                return

    def _removed(self, file_id: str, folders: dict[str, str], native: set[str],
                 row: Mapping[str, Any]) -> list[Item]:
        if file_id in folders or row.get("mimeType") == FOLDER:
            path = folders.pop(file_id, None)
            return [Item(source_id=file_id, kind="folder", deleted=True,
                         meta={"path": path} if path is not None else {})]
        if file_id in native or row.get("mimeType") in EXPORTS:
            native.discard(file_id)
            return [Item(source_id=sid, kind="file", deleted=True) for sid in
                    (f"{file_id}:ooxml", f"{file_id}:pdf")] + [Item(source_id=file_id, kind="native", deleted=True)]
        return [Item(source_id=file_id, kind="file", deleted=True),
                Item(source_id=f"{file_id}:revisions", kind="folder", deleted=True)]

    def _parent_path(self, scope: Scope, row: Mapping[str, Any], folders: dict[str, str]) -> str:
        """The path of ``row``'s parent: known folders from the cursor, else read up the parents chain."""
        chain: list[tuple[str, str]] = []
        parent = str((row.get("parents") or [""])[0])
        user = self._user(scope)
        while parent and parent not in folders and len(chain) < 64:
            response = self.session.call("GET", f"{self.session.drive}/files/{quote(parent, safe='')}", user,
                                         "drive", params={"fields": "id,name,parents,mimeType",
                                                          "supportsAllDrives": "true"})
            if response.status_code != 200:
                break
            body = response.json()
            if not body.get("parents"):  # the drive's root
                folders[parent] = ""
                break
            chain.append((parent, str(body.get("name", ""))))
            parent = str(body["parents"][0])
        base = folders.get(parent, "")
        for folder_id, name in reversed(chain):
            base = join(base, name)
            folders[folder_id] = base
        return folders.get(str((row.get("parents") or [""])[0]), base)

    def _meta(self, scope: Scope, row: Mapping[str, Any]) -> dict[str, Any]:
        meta = {key: row[key] for key in META if key in row and row[key] not in (None, "")}
        meta["name"] = str(row.get("name", ""))
        meta["file_id"] = str(row["id"])
        if row.get("modifiedTime"):
            meta["modified"] = row["modifiedTime"]
        if "permissions" not in row and row.get("permissionIds"):  # shared drives list permission ids only
            meta["permissions"] = self.session.json(
                f"{self.session.drive}/files/{quote(str(row['id']), safe='')}/permissions", self._user(scope),
                "drive", {"supportsAllDrives": "true"}).get("permissions", [])
        return meta

    def _items(self, scope: Scope, row: Mapping[str, Any], parent: str) -> list[Item]:
        file_id = str(row["id"])
        mime = str(row.get("mimeType", ""))
        meta = self._meta(scope, row)
        if mime == FOLDER:
            return [Item(source_id=file_id, kind="folder", folder=parent, meta=meta)]
        if mime in EXPORTS:
            return self._exports(scope, row, parent, meta)
        if mime.startswith("application/vnd.google-apps."):
            return []  # forms, sites, shortcuts, maps: no content Drive can give
        if self.revisions:
            meta["revisions"] = self._revisions(scope, file_id)
        if row.get("md5Checksum"):
            meta["hash"] = f"md5:{row['md5Checksum']}"
        size = int(row.get("size") or 0)
        url = f"{self.session.drive}/files/{quote(file_id, safe='')}?alt=media&supportsAllDrives=true"
        token = self.session.token_for(self._user(scope), "drive")
        items = [Item(source_id=file_id, kind="file", folder=parent, meta=meta,
                      stream=lambda: stream_media(self.http, token, url, size))]
        return items + self._revision_items(scope, row, parent, meta.get("revisions") or [])

    def _revision_items(self, scope: Scope, row: Mapping[str, Any], parent: str,
                        revisions: list[dict[str, Any]]) -> list[Item]:
        """The content of every earlier revision of a binary file, in the folder ``<name>.revisions``
        (source id ``<file id>:revisions``) as ``<revision id><ext>`` (kind ``revision``)."""
        file_id, name = str(row["id"]), str(row.get("name", ""))
        head = str(row.get("headRevisionId") or (revisions[-1]["id"] if revisions else ""))
        older = [r for r in revisions if str(r.get("id")) != head]
        if not older:
            return []
        folder = join(parent, f"{name}.revisions")
        ext = "." + name.rpartition(".")[2] if "." in name.strip(".") else ""
        token = self.session.token_for(self._user(scope), "drive")
        items = [Item(source_id=f"{file_id}:revisions", kind="folder", folder=parent,
                      meta={"name": f"{name}.revisions", "file_id": file_id})]
        for rev in older:
            rev_id = str(rev["id"])
            url = (f"{self.session.drive}/files/{quote(file_id, safe='')}/revisions/{quote(rev_id, safe='')}"
                   f"?alt=media&supportsAllDrives=true")
            size = int(rev.get("size") or 0)
            meta = {"name": f"{rev_id}{ext}", "file_id": file_id, "revision_id": rev_id,
                    "modifiedTime": rev.get("modifiedTime"), "size": rev.get("size"),
                    **({"hash": f"md5:{rev['md5Checksum']}"} if rev.get("md5Checksum") else {})}
            items.append(Item(source_id=f"{file_id}@{rev_id}", kind="revision", folder=folder, meta=meta,
                              stream=partial(stream_media, self.http, token, url, size)))
        return items

    def _revisions(self, scope: Scope, file_id: str) -> list[dict[str, Any]]:
        url = f"{self.session.drive}/files/{quote(file_id, safe='')}/revisions"
        response = self.session.call("GET", url, self._user(scope), "drive", params={"supportsAllDrives": "true"})
        if response.status_code == 403:
            return []  # revisions not readable for this file
        return list(self.http.expect(response).json().get("revisions", []))

    def _exports(self, scope: Scope, row: Mapping[str, Any], parent: str, meta: dict[str, Any]) -> list[Item]:
        file_id, name = str(row["id"]), str(row.get("name", ""))
        ooxml, ext = EXPORTS[str(row["mimeType"])]
        out: list[Item] = []
        for suffix, mime, ext_name in (("ooxml", ooxml, ext), ("pdf", PDF, "pdf")):
            url = f"{self.session.drive}/files/{quote(file_id, safe='')}/export"
            response = self.session.call("GET", url, self._user(scope), "drive", params={"mimeType": mime})
            if response.status_code == 403 and "exportSizeLimitExceeded" in error_reasons(response):
                note = {**meta, "export": "exportSizeLimitExceeded",
                        "message": "Drive exports files up to 10 MB only; this file was not exported"}
                return [Item(source_id=file_id, kind="native", folder=parent,
                             data=json.dumps(note, sort_keys=True, ensure_ascii=False).encode(),
                             meta={**note, "name": f"{name}.export-failed.json",
                                   "eTag": f"{row.get('version')}:failed"})]
            data = self.http.expect(response).content
            out.append(Item(source_id=f"{file_id}:{suffix}", kind="file", folder=parent, data=data,
                            meta={**meta, "name": f"{name}.{ext_name}", "exportedAs": mime,
                                  "eTag": f"{row.get('version')}:{suffix}"}))
        return out


class _Invalid(Exception):
    """Drive no longer accepts the stored change token."""
