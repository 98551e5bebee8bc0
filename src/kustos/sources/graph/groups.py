"""Microsoft 365 group mailboxes: discovered as scopes, read as threads → posts, written as MIME.

* Discovery: ``GET /groups?$filter=groupTypes/any(c:c eq 'Unified')`` (``Group.Read.All``); every
  Microsoft 365 group with a mail address is a scope ``group:<group id>`` of kind ``group`` named by
  that address. Without the permission (403) no group is offered and the run goes on (the log says
  which permission is missing), so a connection consented before group mailboxes keeps working.
* Content: ``GET /groups/{id}/threads`` (paged by ``@odata.nextLink``), for each thread that is new
  or whose ``lastDeliveredDateTime`` moved, ``GET /groups/{id}/threads/{id}/posts?$expand=inReplyTo``
  and, for posts with attachments, ``GET …/posts/{id}/attachments`` (``contentBytes``). Each post
  becomes one message (:mod:`posts_mime`) in the folder ``Conversations``.
* Cursor: ``{thread id: lastDeliveredDateTime}``; a thread is read again only when its
  ``lastDeliveredDateTime`` is later than the stored one, and then only posts received after it
  are fetched. One batch per thread, carrying the cursor with that thread done. Threads that
  disappear drop out of the cursor at the end of the round. (A post whose receivedDateTime equals
  the thread's stored lastDeliveredDateTime to the second is not seen again; Exchange moves the
  thread's time with every delivered post.)
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

from kustos.sources import mailfacts
from kustos.sources.base import Batch, Cursor, Item, Scope
from kustos.sources.graph.posts_mime import GroupInfo, PostFormatError, post_to_mime
from kustos.sources.http import HttpClient, bounded_map, iter_link_pages

log = logging.getLogger(__name__)

GROUP_PREFIX = "group:"
CONVERSATIONS_FOLDER = "Conversations"
UNIFIED_FILTER = "groupTypes/any(c:c eq 'Unified')"
GROUP_SELECT = "id,displayName,mail,mailEnabled,groupTypes"
THREAD_SELECT = "id,topic,lastDeliveredDateTime,hasAttachments"


def group_scopes(http: HttpClient, base: str) -> Iterator[Scope]:
    """Every mail-enabled Microsoft 365 group of the tenant, as a scope (none without Group.Read.All)."""
    url = f"{base}/groups?$filter={quote(UNIFIED_FILTER, safe='()/:=')}&$select={GROUP_SELECT}&$top=999"
    first = http.request("GET", url, key="groups")
    if first.status_code == 403:
        log.warning("the app registration lacks Group.Read.All; Microsoft 365 group mailboxes are not read")
        return
    page: Mapping[str, Any] = http.expect(first).json()
    pages = iter_link_pages(lambda link: http.get_json(link, key="groups"), str(page.get("@odata.nextLink") or ""))
    for current in [page, *pages]:
        for group in current.get("value", []):
            if "Unified" not in (group.get("groupTypes") or []) or not group.get("mail") \
                    or group.get("mailEnabled") is False:
                continue
            yield Scope(id=GROUP_PREFIX + str(group["id"]), kind="group", name=str(group["mail"]),
                        meta={"groupId": str(group["id"]), "displayName": group.get("displayName"),
                              "mailboxType": "group"})


class GroupPostReader:
    """Reads one group mailbox's posts incrementally (see the module docstring)."""

    def __init__(self, http: HttpClient, base: str, *, page_size: int = 50, max_concurrency: int = 4,
                 item_kind: str = "message") -> None:
        self.http = http
        self.base = base
        self.page_size = page_size
        self.max_concurrency = max_concurrency
        self.item_kind = item_kind

    def _group_url(self, scope: Scope) -> str:
        return f"{self.base}/groups/{quote(group_id(scope), safe='')}"

    def _pages(self, scope: Scope, url: str) -> Iterator[Mapping[str, Any]]:
        headers = {"Prefer": f"odata.maxpagesize={self.page_size}"}
        for page in iter_link_pages(lambda link: self.http.get_json(link, key=scope.id, headers=headers), url):
            yield from page.get("value", [])

    def threads(self, scope: Scope) -> list[Mapping[str, Any]]:
        rows = list(self._pages(scope, f"{self._group_url(scope)}/threads?$select={THREAD_SELECT}"))
        return sorted(rows, key=lambda t: (str(t.get("lastDeliveredDateTime") or ""), str(t.get("id"))))

    def fetch(self, scope: Scope, cursor: Cursor | None) -> Iterator[Batch]:
        state: dict[str, str] = {str(k): str(v) for k, v in (cursor or {}).items()}
        group = GroupInfo(group_id(scope), scope.name, str(scope.meta.get("displayName") or ""))
        threads = self.threads(scope)
        live = {str(t["id"]) for t in threads}
        yielded = False
        for thread in threads:
            thread_id, delivered = str(thread["id"]), str(thread.get("lastDeliveredDateTime") or "")
            since = state.get(thread_id)
            if since is not None and not _later(delivered, since):
                continue
            items = self._thread_items(scope, group, thread, since)
            state[thread_id] = delivered
            yielded = True
            yield Batch(items, dict(state))
        dropped = [t for t in state if t not in live]
        for thread_id in dropped:
            del state[thread_id]
        if not yielded or dropped:
            yield Batch([], dict(state))

    def _thread_items(self, scope: Scope, group: GroupInfo, thread: Mapping[str, Any],
                      since: str | None) -> list[Item]:
        thread_id = str(thread["id"])
        url = f"{self._group_url(scope)}/threads/{quote(thread_id, safe='')}/posts?$expand=inReplyTo"
        posts = sorted(self._pages(scope, url), key=lambda p: (str(p.get("receivedDateTime") or ""), str(p["id"])))
        root = str(posts[0]["id"]) if posts else None
        fresh = [p for p in posts if since is None or _later(str(p.get("receivedDateTime") or ""), since)]
        topic = str(thread.get("topic") or "")

        def convert(post: Mapping[str, Any]) -> Item | None:
            attachments = self._attachments(scope, thread_id, str(post["id"])) if post.get("hasAttachments") else []
            try:
                data = post_to_mime(post, group=group, topic=topic, thread_root=root, attachments=attachments)
            except PostFormatError as exc:
                log.warning("post %s of group %s skipped: %s", post.get("id"), group.id, exc)
                return None
            return Item(source_id=str(post["id"]), data=data, folder=CONVERSATIONS_FOLDER, kind=self.item_kind,
                        meta={"id": str(post["id"]), "thread_id": thread_id, "size": len(data),
                              "conversationId": post.get("conversationId"),
                              "receivedDateTime": post.get("receivedDateTime"),
                              "received_at": mailfacts.iso(mailfacts.parse(post.get("receivedDateTime")))})

        return [i for i in bounded_map(convert, fresh, self.max_concurrency) if i is not None]

    def _attachments(self, scope: Scope, thread_id: str, post_id: str) -> list[Mapping[str, Any]]:
        url = (f"{self._group_url(scope)}/threads/{quote(thread_id, safe='')}/posts/{quote(post_id, safe='')}"
               f"/attachments")
        return list(self._pages(scope, url))


def group_id(scope: Scope) -> str:
    return str(scope.meta.get("groupId") or scope.id.removeprefix(GROUP_PREFIX))


def is_group(scope: Scope) -> bool:
    return scope.kind == "group" or scope.id.startswith(GROUP_PREFIX)


def _later(value: str, than: str) -> bool:
    """``value`` is a later instant than ``than`` (ISO-8601; unreadable values count as later)."""
    a, b = mailfacts.parse(value), mailfacts.parse(than)
    if a is None or b is None:
        return value != than
    return a > b
