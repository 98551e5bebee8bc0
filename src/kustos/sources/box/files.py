"""Box backup service ``files``: every user's files and folders, read As-User.

Scope: a user (id; ``meta["login"]``). Cursor: ``{"position": events stream position, "folders": {folder id:
path}}``. The first run (and every run after the position expired) walks the folder tree from ``0``; it
reads the stream position (``now``) before walking, so a change made during the walk is seen again by the
next run. Later runs read the user's ``changes`` events from the position (the source a File, a Folder or an
``EventSource``; comments, collaborations and metadata instances changed are events of their item too):
trashed / deleted items become deletions, every other item is read again (``GET /files/{id}``; gone = deleted), and a folder whose path
changed brings everything below it again. A refused (expired) position restarts with a full walk and
``reset=True``.

Items: folders as kind ``folder`` (meta: collaborations), files as kind ``file`` with ``stream()`` (the
302 to an expiring download URL is followed; an expired URL is fetched again and resumed; a ``202 Accepted``
for content not ready yet is waited out, bounded), meta: sha1 (also as ``sha1Hash``, the content tag the
backup sink uses to skip unchanged files), size, modified, version, etag, comments (with author and time),
metadata instances (with the schema of each enterprise template they follow, ``metadata_templates``, so a
restore can re-create a missing template) and the file's own collaborations — kept beside the file in the
snapshot.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from kustos.sources.base import Batch, Cursor, Item, PermissionMissing, Scope
from kustos.sources.box.session import PAGE, BoxSession
from kustos.sources.graph.backup.download import stream_download
from kustos.sources.http import HttpStatusError

FIELDS = ("type,id,name,sha1,size,etag,sequence_id,file_version,modified_at,created_at,content_modified_at,"
          "path_collection,parent,owned_by,modified_by,item_status,description")
GONE_EVENTS = frozenset({"ITEM_TRASH", "ITEM_DELETE", "ITEM_PURGE"})
EVENT_PAGE = 500


def join(folder: str, name: str) -> str:
    return f"{folder}/{name}" if folder else name


def path_of(row: Mapping[str, Any]) -> str:
    """The folder path above an item from its ``path_collection`` (without the root ``All Files``)."""
    entries = (row.get("path_collection") or {}).get("entries") or []
    return "/".join(str(e.get("name", "")) for e in entries if str(e.get("id")) != "0")


class FilesService:
    """The ``files`` backup service of a Box connection."""

    name: ClassVar[str] = "files"
    scope_kind: ClassVar[str] = "user"

    def __init__(self, session: BoxSession, chunk_size: int = 1024 * 1024, page_size: int = PAGE) -> None:
        self.session = session
        self.chunk_size = chunk_size
        self.page_size = page_size  # folder entries per request (Box allows up to 1,000)
        self._templates: dict[str, dict[str, Any] | None] = {}  # enterprise template key -> schema (per run)

    def scopes(self) -> Iterator[Scope]:
        for user in self.session.users():
            if str(user.get("status") or "active") != "active":
                continue
            yield Scope(id=str(user["id"]), kind=self.scope_kind, name=str(user.get("login") or user["id"]),
                        meta={"login": user.get("login"), "displayName": user.get("name")})

    def check(self, scope: Scope) -> None:
        self.session.get("/folders/0", scope.id, {"fields": "id,name"})

    # --- fetch ----------------------------------------------------------------------------
    def fetch(self, scope: Scope, cursor: Cursor | None) -> Iterator[Batch]:
        position = (cursor or {}).get("position")
        folders = {str(k): str(v) for k, v in ((cursor or {}).get("folders") or {}).items()}
        if position:
            try:
                events = self._events(scope.id, str(position))
            except HttpStatusError as exc:
                if exc.status not in (400, 404, 410):
                    raise
                yield from self._walk(scope, reset=True)  # the position expired: everything again
                return
            next_position, rows = events
            items = self._changes(scope, rows, folders)
            yield Batch(items, {"position": next_position, "folders": folders})
            return
        yield from self._walk(scope, reset=False)

    def _walk(self, scope: Scope, reset: bool) -> Iterator[Batch]:
        start = self.session.get("/events", scope.id, {"stream_type": "changes", "stream_position": "now"})
        position = str(start.get("next_stream_position"))
        folders: dict[str, str] = {"0": ""}
        stack = ["0"]
        first = True
        while stack:
            folder_id = stack.pop()
            items = self._below(scope, folder_id, folders, stack)
            last = not stack
            yield Batch(items, {"position": position, "folders": dict(folders)} if last else None,
                        reset=reset and first)
            first = False

    def _below(self, scope: Scope, folder_id: str, folders: dict[str, str], stack: list[str]) -> list[Item]:
        items: list[Item] = []
        parent = folders.get(folder_id, "")
        for row in self.session.paged(f"/folders/{folder_id}/items", scope.id, {"fields": FIELDS},
                                      limit=self.page_size):
            item = self._item(scope, row, parent)
            if item is None:
                continue
            items.append(item)
            if item.kind == "folder":
                folders[item.source_id] = item.meta["path"]
                stack.append(item.source_id)
        return items

    def _events(self, user: str, position: str) -> tuple[str, list[dict[str, Any]]]:
        rows: list[dict[str, Any]] = []
        while True:
            page = self.session.get("/events", user, {"stream_type": "changes", "stream_position": position,
                                                      "limit": EVENT_PAGE})
            entries = list(page.get("entries") or [])
            position = str(page.get("next_stream_position") or position)
            rows += entries
            if not entries:
                return position, rows

    def _changes(self, scope: Scope, events: list[dict[str, Any]], folders: dict[str, str]) -> list[Item]:
        last: dict[tuple[str, str], str] = {}
        for event in events:
            source = event.get("source") or {}
            kind = source.get("type") or source.get("item_type")  # a File / Folder, or an EventSource
            item_id = source.get("id") if source.get("type") else source.get("item_id")
            if kind in ("file", "folder") and item_id:
                key = (str(kind), str(item_id))
                last.pop(key, None)
                last[key] = str(event.get("event_type") or "")
        items: list[Item] = []
        seen: set[str] = set()
        for (kind, item_id), event_type in last.items():
            if item_id in seen:
                continue
            row = None if event_type in GONE_EVENTS else self._read(scope.id, kind, item_id)
            if row is None or row.get("item_status") not in (None, "active"):
                path = folders.pop(item_id, None)
                items.append(Item(source_id=item_id, kind=kind, deleted=True,
                                  meta={"path": path} if path is not None else {}))
                continue
            parent = path_of(row)
            item = self._item(scope, row, parent)
            if item is None:
                continue
            seen.add(item_id)
            items.append(item)
            if item.kind == "folder":
                before = folders.get(item_id)
                folders[item_id] = item.meta["path"]
                if before is not None and before != item.meta["path"]:  # renamed or moved: paths below changed
                    stack = [item_id]
                    while stack:
                        below = self._below(scope, stack.pop(), folders, stack)
                        seen.update(i.source_id for i in below)
                        items += below
        return items

    def _read(self, user: str, kind: str, item_id: str) -> dict[str, Any] | None:
        try:
            row: dict[str, Any] = self.session.get(f"/{kind}s/{item_id}", user, {"fields": FIELDS})
        except HttpStatusError as exc:
            if exc.status == 404:
                return None
            raise
        return row

    # --- items ----------------------------------------------------------------------------
    def _item(self, scope: Scope, row: Mapping[str, Any], parent: str) -> Item | None:
        item_id, kind, name = str(row["id"]), str(row.get("type")), str(row.get("name") or "")
        meta: dict[str, Any] = {"name": name, "path": join(parent, name), "id": item_id}
        for key in ("etag", "sequence_id", "modified_at", "created_at", "content_modified_at", "description"):
            if row.get(key) not in (None, ""):
                meta[key] = row[key]
        if row.get("modified_at"):
            meta["modified"] = row["modified_at"]
        if row.get("owned_by"):
            meta["owned_by"] = {k: row["owned_by"].get(k) for k in ("id", "login", "name")}
        meta["collaborations"] = self._collaborations(scope.id, kind, item_id) if kind in ("file", "folder") else []
        if kind == "folder":
            return Item(source_id=item_id, kind="folder", folder=parent, meta=meta)
        if kind != "file":
            return None  # web links are not files
        size = int(row.get("size") or 0)
        meta.update({"size": size, "sha1": row.get("sha1"), "sha1Hash": row.get("sha1"),
                     "version": (row.get("file_version") or {}).get("id")})
        meta["comments"] = self._comments(scope.id, item_id)
        meta["metadata"] = list(self.session.get(f"/files/{item_id}/metadata", scope.id).get("entries") or [])
        schemas = {key: found for key in dict.fromkeys(str(m.get("$template")) for m in meta["metadata"]
                                                       if str(m.get("$scope") or "").startswith("enterprise_"))
                   if (found := self._template(key)) is not None}
        if schemas:
            meta["metadata_templates"] = schemas
        return Item(source_id=item_id, kind="file", folder=parent, meta=meta,
                    stream=lambda: self.stream(scope.id, item_id, size))

    def _template(self, key: str) -> dict[str, Any] | None:
        """The enterprise template ``key`` (read once per connector; None when Box has it no more)."""
        if key not in self._templates:
            try:
                self._templates[key] = self.session.get(f"/metadata_templates/enterprise/{key}/schema")
            except HttpStatusError as exc:
                if exc.status not in (400, 403, 404):
                    raise
                self._templates[key] = None
            except PermissionMissing:  # the instance stays backed up; only its template's schema is not kept
                self._templates[key] = None
        return self._templates[key]

    def _comments(self, user: str, file_id: str) -> list[dict[str, Any]]:
        return [{"id": c.get("id"), "message": c.get("message"), "created_at": c.get("created_at"),
                 "created_by": (c.get("created_by") or {}).get("login"),
                 "created_by_name": (c.get("created_by") or {}).get("name")}
                for c in self.session.paged(f"/files/{file_id}/comments", user, {}, limit=100)]

    def _collaborations(self, user: str, kind: str, item_id: str) -> list[dict[str, Any]]:
        """The collaborations of a file or folder (pending ones too; none on the root folder)."""
        if kind == "folder" and item_id == "0":
            return []
        return [{"id": c.get("id"), "role": c.get("role"), "status": c.get("status"),
                 "accessible_by": {k: (c.get("accessible_by") or {}).get(k) for k in ("type", "id", "login", "name")}}
                for c in self.session.marked(f"/{kind}s/{item_id}/collaborations", user, limit=100)]

    def stream(self, user: str, file_id: str, size: int) -> Iterator[bytes]:
        """The file's content in chunks from an expiring download URL (fetched again when it expired)."""
        return stream_download(self.session.http, user, self._download_url(user, file_id), size,
                               lambda: self._download_url(user, file_id), self.chunk_size)

    def _download_url(self, user: str, file_id: str) -> str:
        """The expiring download URL (the 302's ``Location``), after waiting out ``202 Accepted`` answers of a
        file whose content is not ready yet."""
        response = self.session.when_ready(
            lambda: self.session.request("GET", f"{self.session.base}/files/{file_id}/content", user),
            f"the download of file {file_id}")
        if response.status_code == 302 and response.headers.get("Location"):
            return str(response.headers["Location"])
        raise self.session.http.on_error(response)
