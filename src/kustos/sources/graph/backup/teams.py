"""Microsoft Teams backup: teams (channels with messages and replies, channel files, the team's
group calendar) and each user's chats.

Scopes: every team (``kind="team"``, id = the group id) from ``/groups`` filtered to Teams, and
every user's chats (``kind="chats"``, id ``chats/<user id>``).

Team items:

* ``channelmessage`` per thread (root message) of every channel in ``/allChannels`` (standard,
  private, shared), by ``/messages/delta``; ``folder`` = the channel's display name; ``data`` =
  the root chatMessage as canonical JSON with its ``replies`` (a new reply brings the thread back
  in the delta, so the thread is read again whole). A message Teams soft-deleted
  (``deletedDateTime``) or ``@removed`` is a deletion;
* channel files: the document libraries behind ``filesFolder`` (the team's site and each private
  or shared channel's own site), through the OneDrive delta code, ``folder`` prefixed ``Files/``;
* the group calendar (``/groups/{id}/events``, no delta there): listed each round and compared by
  changeKey; kind ``event``, ``folder`` ``Calendar``.

Chat items: ``chatmessage`` per message of each chat of the user, read incrementally with
``$filter=lastModifiedDateTime gt <last seen>`` (chats have no delta); ``folder`` = the chat's
topic (or its id).

Cursor (team): ``{"channels": {channel id: delta link}, "drives": {drive id: OneDrive cursor},
"events": {event id: changeKey}}``; (chats): ``{chat id: last lastModifiedDateTime}``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any, ClassVar
from urllib.parse import quote

from kustos.sources.base import Batch, Cursor, Item, PermissionMissing, Scope
from kustos.sources.graph.backup.onedrive import OneDriveService
from kustos.sources.graph.backup.pim import canonical
from kustos.sources.graph.backup.session import GraphSession
from kustos.sources.graph.delta import delta_round
from kustos.sources.http import iter_link_pages

log = logging.getLogger(__name__)
TEAMS_FILTER = "resourceProvisioningOptions/Any(x:x eq 'Team')"
MESSAGE_META = ("id", "etag", "createdDateTime", "lastModifiedDateTime", "deletedDateTime", "replyToId",
                "messageType", "from")
CHATS = "chats/"


class TeamsService:
    """The ``teams`` backup service of a Microsoft 365 connection."""

    name: ClassVar[str] = "teams"
    scope_kind: ClassVar[str] = "team"

    def __init__(self, session: GraphSession, page_size: int = 50) -> None:
        self.session = session
        self.http = session.http
        self.page_size = page_size
        self.drives = OneDriveService(session)

    def _url(self, path: str) -> str:
        return f"{self.session.base}{path}"

    def _list(self, key: str, url: str) -> Iterator[Mapping[str, Any]]:
        for page in iter_link_pages(lambda link: self.http.get_json(link, key=key), url):
            yield from page.get("value", [])

    # --- scopes -------------------------------------------------------------------------
    def scopes(self) -> Iterator[Scope]:
        for group in self._list("groups", self._url(f"/groups?$filter={TEAMS_FILTER}&$select=id,displayName")):
            yield Scope(id=str(group["id"]), kind="team", name=str(group.get("displayName") or group["id"]),
                        meta={"displayName": group.get("displayName")})
        for user in self.session.users():
            yield Scope(id=CHATS + str(user["id"]), kind="chats",
                        name=str(user.get("userPrincipalName") or user.get("mail") or user["id"]),
                        meta={"user": str(user["id"])})

    def check(self, scope: Scope) -> None:
        if scope.id.startswith(CHATS):
            self.http.get_json(self.session.user_url(scope.id.removeprefix(CHATS), "/chats"), key=scope.id)
        else:
            self.http.get_json(self._url(f"/teams/{quote(scope.id, safe='')}/allChannels"), key=scope.id)

    def fetch(self, scope: Scope, cursor: Cursor | None) -> Iterator[Batch]:
        if scope.id.startswith(CHATS):
            yield from self._chats(scope, cursor)
        else:
            yield from self._team(scope, cursor)

    # --- teams --------------------------------------------------------------------------
    def _team(self, scope: Scope, cursor: Cursor | None) -> Iterator[Batch]:
        state: dict[str, dict[str, Any]] = {part: dict((cursor or {}).get(part) or {})
                                            for part in ("channels", "drives", "events")}
        team = quote(scope.id, safe="")
        channels = list(self._list(scope.id, self._url(f"/teams/{team}/allChannels")))
        live = {str(c["id"]) for c in channels}
        for gone in [key for key in state["channels"] if key not in live]:
            del state["channels"][gone]
        drives: dict[str, str] = {}
        yielded = False
        for channel in channels:
            for batch in self._channel(scope, channel, state):
                yielded = True
                yield batch
            folder = self.http.get_json(
                self._url(f"/teams/{team}/channels/{quote(str(channel['id']), safe='')}/filesFolder"), key=scope.id)
            drive_id = (folder.get("parentReference") or {}).get("driveId")
            if drive_id:
                drives.setdefault(str(drive_id), str(channel.get("displayName") or ""))
        for gone in [key for key in state["drives"] if key not in drives]:
            del state["drives"][gone]
        for drive_id in drives:
            drive_scope = Scope(id=scope.id, kind="drive", name="Files", meta={"drive_id": drive_id})
            for batch in self.drives.fetch(drive_scope, state["drives"].get(drive_id)):
                if batch.next_cursor is not None:
                    state["drives"][drive_id] = batch.next_cursor
                yielded = True
                yield Batch([self._in_files(i) for i in batch.items], self._snapshot(state), reset=batch.reset)
        events = self._events(scope, state)
        if events.items or not yielded:
            yield events

    @staticmethod
    def _snapshot(state: dict[str, dict[str, Any]]) -> Cursor:
        return {part: dict(values) for part, values in state.items()}

    @staticmethod
    def _in_files(item: Item) -> Item:
        meta = {**item.meta, **({"path": f"Files/{item.meta['path']}"} if "path" in item.meta else {})}
        return replace(item, folder=f"Files/{item.folder}" if item.folder else "Files", meta=meta)

    def _channel(self, scope: Scope, channel: Mapping[str, Any], state: dict[str, dict[str, Any]]) -> Iterator[Batch]:
        channel_id, name = str(channel["id"]), str(channel.get("displayName") or channel["id"])
        base = f"/teams/{quote(scope.id, safe='')}/channels/{quote(channel_id, safe='')}"
        start = self._url(f"{base}/messages/delta")
        link = str(state["channels"].get(channel_id) or start)
        first = link == start
        for page in delta_round(self.http, link, start, key=scope.id, page_size=self.page_size,
                                what=f"channel {name!r}", where=f"a channel of team {scope.id}"):
            # A full round (first or resync) lists soft-deleted threads too: nothing to delete there.
            fresh = first or page.reset
            rows = [row for row in page.rows if not (fresh and self._gone(row))]
            items = [self._thread(scope, base, name, channel, row) for row in rows]
            state["channels"][channel_id] = page.link
            yield Batch(items, self._snapshot(state), reset=page.reset)

    @staticmethod
    def _gone(row: Mapping[str, Any]) -> bool:
        return "@removed" in row or bool(row.get("deletedDateTime"))

    def _thread(self, scope: Scope, base: str, name: str, channel: Mapping[str, Any],
                row: Mapping[str, Any]) -> Item:
        message_id = str(row["id"])
        meta: dict[str, Any] = {key: row[key] for key in MESSAGE_META if row.get(key) is not None}
        meta.update({"channel_id": str(channel["id"]), "membershipType": channel.get("membershipType")})
        if self._gone(row):
            return Item(source_id=message_id, kind="channelmessage", folder=name, deleted=True, meta=meta)
        replies = [dict(r) for r in self._list(scope.id, self._url(
            f"{base}/messages/{quote(message_id, safe='')}/replies?$top=50"))]
        meta["replies"] = len(replies)
        return Item(source_id=message_id, kind="channelmessage", folder=name,
                    data=canonical({**row, "replies": replies}), meta=meta)

    def _events(self, scope: Scope, state: dict[str, dict[str, Any]]) -> Batch:
        known = state["events"]
        try:
            current = {str(e["id"]): e for e in self._list(
                scope.id, self._url(f"/groups/{quote(scope.id, safe='')}/events?$top=50"))}
        except PermissionMissing:
            # Graph documents group calendars as delegated-only: a tenant may refuse the app. The team's
            # channels, files and chats are still backed up; events already kept stay (none is "deleted").
            log.info("the calendar of team %s is not readable with application permissions; skipped", scope.id)
            return Batch([], self._snapshot(state))
        items: list[Item] = []
        for event_id, event in current.items():
            tag = event.get("changeKey") or event.get("lastModifiedDateTime")
            if known.get(event_id) == tag:
                continue
            meta = {key: event[key] for key in ("id", "changeKey", "createdDateTime", "lastModifiedDateTime",
                                                 "categories") if key in event}
            items.append(Item(source_id=event_id, kind="event", folder="Calendar", data=canonical(event), meta=meta))
            known[event_id] = tag
        for event_id in [key for key in known if key not in current]:
            del known[event_id]
            items.append(Item(source_id=event_id, kind="event", folder="Calendar", deleted=True))
        return Batch(items, self._snapshot(state))

    # --- chats --------------------------------------------------------------------------
    def _chats(self, scope: Scope, cursor: Cursor | None) -> Iterator[Batch]:
        state: dict[str, str] = {str(k): str(v) for k, v in (cursor or {}).items()}
        user = scope.id.removeprefix(CHATS)
        chats = list(self._list(scope.id, self.session.user_url(user, "/chats")))
        live = {str(c["id"]) for c in chats}
        dropped = [key for key in state if key not in live]
        for key in dropped:
            del state[key]
        yielded = False
        for chat in chats:
            chat_id = str(chat["id"])
            folder = str(chat.get("topic") or chat_id)
            url = self._url(f"/chats/{quote(chat_id, safe='')}/messages?$top=50")
            since = state.get(chat_id)
            if since:
                url += f"&$orderby=lastModifiedDateTime desc&$filter=lastModifiedDateTime gt {since}"
            newest = since or ""
            items: list[Item] = []
            for row in self._list(scope.id, url):
                newest = max(newest, str(row.get("lastModifiedDateTime") or ""))
                meta = {key: row[key] for key in MESSAGE_META if row.get(key) is not None}
                meta.update({"chat_id": chat_id, "chatType": chat.get("chatType")})
                if row.get("deletedDateTime"):
                    if not since:  # a first read: a message deleted before it was ever backed up
                        continue
                    items.append(Item(source_id=str(row["id"]), kind="chatmessage", folder=folder, deleted=True,
                                      meta=meta))
                else:
                    items.append(Item(source_id=str(row["id"]), kind="chatmessage", folder=folder,
                                      data=canonical(row), meta=meta))
            if newest:
                state[chat_id] = newest
            if items or chat_id not in (cursor or {}):
                yielded = True
                yield Batch(items, dict(state))
        if not yielded or dropped:
            yield Batch([], dict(state))
