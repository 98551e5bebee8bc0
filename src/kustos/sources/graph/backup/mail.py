"""Exchange mail backup: every folder (hidden ones too) with MIME content, by folder delta.

Reuses the archive connector's folder walk, delta rounds, 410 resync and ``$value`` download
(:class:`GraphMailConnector`) over the backup session's throttled client; items are kind ``mail``
with the folder path and ``meta`` (id, changeKey, received time, categories, flag, read state).
Cursor: ``{folder id: delta link}`` as the archive connector's.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar
from urllib.parse import quote

from kustos.sources.base import Batch, Cursor, Item, Scope
from kustos.sources.graph.backup.session import GraphSession
from kustos.sources.graph.connector import GraphMailConnector
from kustos.sources.graph.folders import MailFolder
from kustos.sources.graph.groups import group_id, is_group
from kustos.sources.http import bounded_map

SELECT = ("id,parentFolderId,internetMessageId,receivedDateTime,lastModifiedDateTime,changeKey,categories,"
          "flag,isRead,importance")
META = ("internetMessageId", "receivedDateTime", "lastModifiedDateTime", "changeKey", "categories", "flag",
        "isRead", "importance")


class _MailReader(GraphMailConnector):
    """The archive connector's delta machinery bound to the backup session (no own client)."""

    group_item_kind = "mail"

    def __init__(self, session: GraphSession) -> None:  # noqa: D107 - shares the session's state
        self.session = session
        self.tenant_id, self.client_id = session.tenant_id, session.client_id
        self.endpoint, self.base = session.endpoint, session.base
        self.http, self._token = session.http, session._token
        self.beta, self.follow = session.beta, session.follow
        self.include_archive, self.archive_folder = session.include_archive, session.archive_folder
        self.include_recoverable = session.include_recoverable
        self.max_concurrency, self.page_size = session.max_concurrency, session.page_size

    def _delta_start(self, scope: Scope, folder: MailFolder) -> str:
        return (f"{folder.base or self.base}/users/{quote(folder.mailbox or scope.id, safe='')}/mailFolders/"
                f"{quote(folder.id, safe='')}/messages/delta?$select={SELECT}")

    def _items(self, scope: Scope, folder: MailFolder, rows: list[Mapping[str, Any]]) -> list[Item]:
        removed = [Item(source_id=str(r["id"]), kind="mail", folder=folder.path, deleted=True,
                        meta={"folder_id": folder.id, "reason": (r.get("@removed") or {}).get("reason")})
                   for r in rows if "@removed" in r]
        present = [r for r in rows if "@removed" not in r]
        contents = bounded_map(lambda r: self._mime(scope, str(r["id"]), folder), present, self.max_concurrency)
        fetched = [Item(source_id=str(r["id"]), data=data, folder=folder.path, kind="mail",
                        meta={"id": str(r["id"]), "folder_id": folder.id, "size": len(data),
                              **{key: r[key] for key in META if key in r}})
                   for r, data in zip(present, contents, strict=True) if data is not None]
        return fetched + removed


class MailService:
    """The ``mail`` backup service: users with a mailbox."""

    name: ClassVar[str] = "mail"
    scope_kind: ClassVar[str] = "mailbox"

    def __init__(self, session: GraphSession) -> None:
        self.reader = _MailReader(session)

    def scopes(self) -> Iterator[Scope]:
        yield from self.reader.scopes()

    def check(self, scope: Scope) -> None:
        if is_group(scope):
            self.reader.http.get_json(f"{self.reader.base}/groups/{quote(group_id(scope), safe='')}/threads",
                                      key=scope.id, params={"$top": "1"})
            return
        self.reader.http.get_json(f"{self.reader.base}/users/{quote(scope.id, safe='')}/mailFolders",
                                  key=scope.id, params={"$top": "1"})

    def fetch(self, scope: Scope, cursor: Cursor | None) -> Iterator[Batch]:
        yield from self.reader.fetch(scope, cursor)
