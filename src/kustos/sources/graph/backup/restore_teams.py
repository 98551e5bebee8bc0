"""Write Teams channel threads back by posting them (the restore side of ``teams.py``).

A backed-up thread (root chatMessage with its ``replies``) is posted into the channel of the same
name in the target team (``POST /teams/{t}/channels/{c}/messages``, each reply with
``POST .../messages/{id}/replies``), the channel created when missing (``POST /teams/{t}/channels``).
Graph posts as the application: it lets an app post in another user's name only in migration mode
(``Teamwork.Migrate.All`` on a channel being migrated), so every restored message starts with a header
naming its original author and time. Into the same channel, a thread whose root message is still there
(not deleted) is a conflict: ``skip`` and ``replace`` leave it (a posted message cannot be overwritten),
``copy`` posts it again.

Chat messages cannot be restored: Graph does not let an application post into users' chats. They are
reported as "download only"; the ZIP download has them as JSON and readable HTML.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from kustos.sources.graph.backup.restore_files import RESTORED, SKIPPED
from kustos.sources.graph.backup.restore_http import (
    check_conflict,
    container_name,
    get_or_none,
    send_json,
    stored_json,
)
from kustos.sources.graph.backup.session import GraphSession

GROUP_EVENT_DOWNLOAD_ONLY = ("download only: Microsoft Graph does not let an application write to a team's group "
                             "calendar (delegated permission only); download the calendar instead (ZIP with .ics)")
CHAT_DOWNLOAD_ONLY = ("download only: Microsoft Graph does not let an application post into users' chats; "
                      "download the chat instead (ZIP with JSON and HTML)")


class DownloadOnly(ValueError):
    """An item Graph gives no way to write back; it can be downloaded (the restore report shows the
    message as is: ``download_only``)."""

    download_only = True


def header(message: Mapping[str, Any]) -> str:
    """The line above a restored message: who wrote it and when (Graph posts as the application)."""
    sender = message.get("from") or {}
    who = ((sender.get("user") or sender.get("application") or sender.get("device") or {}).get("displayName")
           or "unknown")
    when = str(message.get("createdDateTime") or "an unknown time")
    return (f"<p><em>Restored message, originally posted by {html.escape(str(who))} "
            f"on {html.escape(when)}</em></p>")


def restored_body(message: Mapping[str, Any]) -> dict[str, Any]:
    """The body to post: the header, then the original content (plain text escaped into HTML)."""
    body = message.get("body") or {}
    content = str(body.get("content") or "")
    if str(body.get("contentType") or "html").lower() != "html":
        content = "<p>" + html.escape(content).replace("\n", "<br>") + "</p>"
    out: dict[str, Any] = {"body": {"contentType": "html", "content": header(message) + content}}
    if message.get("subject"):
        out["subject"] = message["subject"]
    return out


class TeamsRestorer:
    """Channel threads into ``/teams/{team}``."""

    def __init__(self, session: GraphSession) -> None:
        self.session = session
        self.http = session.http
        self._channels: dict[tuple[str, str], str] = {}  # (team, channel name lowercased) -> channel id

    def _team(self, team: str, path: str = "") -> str:
        return f"{self.session.base}/teams/{quote(team, safe='')}{path}"

    def _post(self, url: str, key: str, body: object) -> dict[str, Any]:
        return send_json(self.http, "POST", url, key, body)

    def _get(self, url: str, key: str) -> dict[str, Any] | None:
        return get_or_none(self.http, url, key)

    def channel(self, team: str, name: str, source_team: str, source_channel: str) -> str:
        """The id of channel ``name`` in ``team`` (the backed-up channel itself when it is there), created
        when missing."""
        key = (team, name.lower())
        if key in self._channels:
            return self._channels[key]
        found = None
        if team == source_team and source_channel:
            row = self._get(self._team(team, f"/channels/{quote(source_channel, safe='')}"), team)
            if row is not None and str(row.get("displayName") or "").lower() == name.lower():
                found = str(row["id"])
        if found is None:
            url = self._team(team, "/allChannels")
            while url and found is None:
                page = self.http.get_json(url, key=team)
                found = next((str(r["id"]) for r in page.get("value", [])
                              if str(r.get("displayName") or "").lower() == name.lower()), None)
                url = page.get("@odata.nextLink") or ""
        if found is None:
            found = str(self._post(self._team(team, "/channels"), team, {
                "displayName": name, "membershipType": "standard",
                "description": "Restored from a Kustos backup"})["id"])
        self._channels[key] = found
        return found

    def thread(self, team: str, source_team: str, path: str, data: bytes, meta: Mapping[str, Any], *,
               to_path: str | None, conflict: str) -> str:
        check_conflict(conflict)
        root = stored_json(data, "channel message")
        name = container_name(path, to_path, "channel")
        source_channel = str(meta.get("channel_id") or "")
        channel = self.channel(team, name, source_team, source_channel)
        messages = self._team(team, f"/channels/{quote(channel, safe='')}/messages")
        original = str(root.get("id") or "")
        if conflict != "copy" and original and team == source_team and channel == source_channel:
            existing = self._get(f"{messages}/{quote(original, safe='')}", team)
            if existing is not None and not existing.get("deletedDateTime"):
                return SKIPPED
        posted = self._post(messages, team, restored_body(root))
        replies = sorted((r for r in root.get("replies") or [] if not r.get("deletedDateTime")),
                         key=lambda r: str(r.get("createdDateTime") or ""))
        for reply in replies:
            self._post(f"{messages}/{quote(str(posted['id']), safe='')}/replies", team, restored_body(reply))
        return RESTORED
