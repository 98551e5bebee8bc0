"""Microsoft 365 group mailboxes: ``/groups`` with its filters, conversations, threads, posts and
post attachments, as the v1.0 reference describes them.

* ``GET /groups`` (``Group.Read.All``, ``Directory.Read.All``): teams (``resourceProvisioningOptions``
  ``["Team"]``) and plain groups; ``$filter`` understands ``groupTypes/any(c:c eq 'Unified')``,
  ``resourceProvisioningOptions/Any(x:x eq 'Team')`` and ``mailEnabled eq true`` (other filters are
  not applied); ``$select``, ``$top`` and ``@odata.nextLink`` paging.
* ``GET /groups/{id}/conversations``, ``/groups/{id}/threads`` (most recently delivered first),
  ``/groups/{id}/threads/{id}``, ``/groups/{id}/threads/{id}/posts`` (``$expand=inReplyTo``) and
  ``…/posts/{id}/attachments`` (``fileAttachment`` with
  ``contentBytes``): ``Group-Conversation.Read.All`` or ``Group.Read.All``; paged like every
  collection. A thread's ``lastDeliveredDateTime`` is its newest post's ``receivedDateTime``.

Seeding (``POST /_fakecloud/seed``, kind ``group_post``): ``account`` is the group's address (or
nickname / display name; a plain Microsoft 365 group is created on first use, ``meta.displayName``
its name, ``meta.groupTypes`` ``[]`` a non-Unified group), ``path`` the thread's topic (a new thread
unless ``meta.thread`` names one, or ``meta.replyTo`` a post id: then that post's thread, the post
answering it), ``content`` the HTML body. ``meta.from`` / ``meta.fromName`` the sender (default: a
member address of the tenant), ``meta.newParticipants`` addresses, ``meta.receivedDateTime`` the
delivery time (default: now, always later than the thread's last post), ``meta.attachments``
``[{"name", "contentType", "content_b64", "isInline", "contentId"}]``. The item path is
``<group address>/<thread id>/<post id>``; ``items`` hashes the seeded body bytes.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fakecloud.microsoft import common
from fakecloud.microsoft.common import Workload
from fakecloud.microsoft.errors import graph_error
from fakecloud.microsoft.feed import now_iso
from fakecloud.microsoft.group_models import (
    GroupDirectory,
    GroupPost,
    GroupThread,
    PostAttachment,
    UnifiedGroup,
)
from fakecloud.microsoft.models import Team
from fakecloud.microsoft.store import IssuedToken, MicrosoftStore
from fakecloud.tokens import new_id
from fakecloud.web import Request, Response, Router

GROUP = r"/groups/(?P<group>[^/]+)"
THREAD = GROUP + r"/threads/(?P<thread>[^/]+)"
POST = THREAD + r"/posts/(?P<post>[^/]+)"
CONVERSATION_READ = {"Group-Conversation.Read.All", "Group-Conversation.ReadWrite.All", "Group.Read.All",
                     "Group.ReadWrite.All"}


def group_row(group: UnifiedGroup) -> dict[str, Any]:
    return {"id": group.id, "displayName": group.display_name, "description": group.description,
            "mail": group.mail, "mailNickname": group.mail_nickname, "mailEnabled": group.mail_enabled,
            "securityEnabled": "Unified" not in group.group_types, "groupTypes": list(group.group_types),
            "visibility": "Private", "resourceProvisioningOptions": [], "createdDateTime": group.created}


def filtered(rows: list[dict[str, Any]], wanted: str) -> list[dict[str, Any]]:
    """Apply the ``$filter`` forms clients use to find Microsoft 365 groups and teams."""
    text = " ".join(wanted.lower().split())
    if "grouptypes/any(" in text and "'unified'" in text:
        rows = [r for r in rows if "Unified" in (r.get("groupTypes") or [])]
    if "resourceprovisioningoptions/any(" in text and "'team'" in text:
        rows = [r for r in rows if "Team" in (r.get("resourceProvisioningOptions") or [])]
    if "mailenabled eq true" in text:
        rows = [r for r in rows if r.get("mailEnabled")]
    return rows


def list_groups(store: MicrosoftStore, request: Request, issued: IssuedToken,
                team_rows: list[dict[str, Any]]) -> Response:
    """``GET /groups``: the tenant's teams (rendered by the Teams workload) and plain groups."""
    plain = [group_row(g) for g in store.group_mail.groups.values() if g.tenant == issued.tenant]
    rows = sorted(team_rows + plain, key=lambda r: (str(r["displayName"]), str(r["id"])))
    return common.collection(request, "groups", filtered(rows, request.arg("$filter") or ""), default_size=100)


def find_group(store: MicrosoftStore, tenant: str, key: str) -> tuple[str, str, str] | None:
    """(id, address, display name) of a group or team named by id, address, nickname or display name."""
    lowered = key.lower()
    for group in store.group_mail.groups.values():
        if group.tenant == tenant and lowered in (group.id, (group.mail or "").lower(),
                                                  group.mail_nickname.lower(), group.display_name.lower()):
            return group.id, group.mail or "", group.display_name
    for team in store.teams.values():
        address = f"{team.mail_nickname}@{team.tenant}"
        if team.tenant == tenant and lowered in (team.id, address.lower(), team.mail_nickname.lower(),
                                                 team.display_name.lower()):
            return team.id, address, team.display_name
    return None


def ensure_group(store: MicrosoftStore, tenant: str, key: str, meta: dict[str, Any]) -> tuple[str, str, str]:
    found = find_group(store, tenant, key)
    if found is not None:
        return found
    nickname = key.split("@")[0]
    address = key if "@" in key else f"{nickname}@{tenant}"
    types = [str(t) for t in meta["groupTypes"]] if isinstance(meta.get("groupTypes"), list) else ["Unified"]
    group = UnifiedGroup(str(uuid.uuid4()), tenant, str(meta.get("displayName") or nickname), nickname, address,
                         types)
    store.group_mail.groups[group.id] = group
    return group.id, address, group.display_name


def _later(stamp: str, than: str) -> str:
    """``stamp`` moved to one second after ``than`` when it is not later (posts are delivered in order)."""
    if not than or stamp > than:
        return stamp
    moment = datetime.strptime(than, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) + timedelta(seconds=1)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def seed_group_post(store: MicrosoftStore, tenant: str, account: str, path: str, content: bytes,
                    meta: dict[str, Any]) -> dict[str, str]:
    group_id, address, _name = ensure_group(store, tenant, account, meta)
    threads = store.group_mail.threads_of(group_id)
    parent = store.group_mail.post(group_id, str(meta["replyTo"])) if meta.get("replyTo") else None
    if meta.get("replyTo") and parent is None:
        raise KeyError(f"no post {meta['replyTo']} in group {account}")
    thread = threads.get(parent.thread_id if parent else str(meta.get("thread") or ""))
    if thread is None:
        if meta.get("thread"):
            raise KeyError(f"no thread {meta['thread']} in group {account}")
        thread = GroupThread("AAQk" + new_id(30), "AAQk" + new_id(18), path.strip("/") or "(no subject)",
                             to_recipients=[{"name": _name, "address": address}])
        threads[thread.id] = thread
    sender = str(meta.get("from") or f"member@{tenant}")
    user = store.user(tenant, sender)
    name = str(meta.get("fromName") or (user.display_name if user else sender.split("@")[0]))
    received = str(meta.get("receivedDateTime") or _later(now_iso(), thread.last_delivered))
    attachments = [PostAttachment("AAMk" + new_id(30), str(a["name"]),
                                  str(a.get("contentType") or "application/octet-stream"),
                                  base64.b64decode(str(a.get("content_b64") or "")), bool(a.get("isInline")),
                                  a.get("contentId")) for a in meta.get("attachments") or []]
    post = GroupPost("AAMk" + new_id(30), thread.id, thread.conversation_id, received,
                     {"name": name, "address": sender}, {"contentType": "html", "content": content.decode(
                         "utf-8", errors="replace")}, content,
                     [{"name": str(p).split("@")[0], "address": str(p)} for p in meta.get("newParticipants") or []],
                     parent.id if parent else None, attachments)
    thread.posts[post.id] = post
    thread.last_delivered = max(thread.last_delivered, received)
    return {"id": post.id, "path": f"{address}/{thread.id}/{post.id}"}


def group_post_items(store: MicrosoftStore, tenant: str, account: str) -> list[dict[str, Any]]:
    """``/_fakecloud/items`` of kind ``group_post``: every post (of ``account``'s group only, when given)."""
    wanted = find_group(store, tenant, account) if account else None
    rows = []
    for group_id, threads in store.group_mail.threads.items():
        found = find_group(store, tenant, group_id)
        if found is None or (account and found != wanted):
            continue
        for thread in threads.values():
            rows += [{"path": f"{found[1]}/{thread.id}/{p.id}", "sha256": _sha256(p.content), "size": len(p.content),
                      "modified": p.received, "topic": thread.topic, "group": found[1],
                      "attachments": len(p.attachments)} for p in thread.posts.values()]
    return sorted(rows, key=lambda r: r["path"])


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class GroupMailService(Workload):
    """The group conversation endpoints (see the module docstring); ``/groups`` itself is answered by the
    Teams workload through :func:`list_groups`."""

    read_roles = frozenset(CONVERSATION_READ)
    denied_code = "ErrorAccessDenied"
    denied_message = "Access is denied. Check credentials and try again."

    def register(self, router: Router) -> None:
        r = self.route
        r(router, "GET", GROUP + r"/conversations", self.conversations)
        r(router, "GET", GROUP + r"/threads", self.threads)
        r(router, "GET", THREAD, self.thread)
        r(router, "GET", THREAD + r"/posts", self.posts)
        r(router, "GET", POST + r"/attachments", self.attachments)

    # --- shapes ---------------------------------------------------------------------------
    @staticmethod
    def thread_json(thread: GroupThread) -> dict[str, Any]:
        posts = list(thread.posts.values())
        senders = list(dict.fromkeys(p.sender["name"] for p in posts))
        return {"id": thread.id, "topic": thread.topic, "hasAttachments": any(p.attachments for p in posts),
                "lastDeliveredDateTime": thread.last_delivered, "uniqueSenders": senders,
                "preview": (posts[-1].body["content"][:255] if posts else ""), "isLocked": False,
                "toRecipients": [GroupDirectory.recipient(r) for r in thread.to_recipients], "ccRecipients": []}

    @staticmethod
    def post_json(post: GroupPost, parent: GroupPost | None = None, expand: bool = False) -> dict[str, Any]:
        row: dict[str, Any] = {
            "@odata.etag": f'W/"{post.change_key}"', "id": post.id, "createdDateTime": post.received,
            "lastModifiedDateTime": post.received, "changeKey": post.change_key, "categories": [],
            "receivedDateTime": post.received, "hasAttachments": bool(post.attachments), "body": dict(post.body),
            "from": GroupDirectory.recipient(post.sender), "sender": GroupDirectory.recipient(post.sender),
            "conversationThreadId": post.thread_id, "conversationId": post.conversation_id,
            "newParticipants": [GroupDirectory.recipient(p) for p in post.new_participants]}
        if expand and parent is not None:
            row["inReplyTo"] = GroupMailService.post_json(parent)
        return row

    @staticmethod
    def attachment_json(attachment: PostAttachment) -> dict[str, Any]:
        return {"@odata.type": "#microsoft.graph.fileAttachment", "id": attachment.id,
                "lastModifiedDateTime": attachment.modified, "name": attachment.name,
                "contentType": attachment.content_type, "size": len(attachment.content),
                "isInline": attachment.is_inline, "contentId": attachment.content_id, "contentLocation": None,
                "contentBytes": base64.b64encode(attachment.content).decode()}

    # --- lookups ----------------------------------------------------------------------------
    def _group(self, request: Request, issued: IssuedToken) -> str | Response:
        key = request.params["group"]
        group = self.store.group_mail.groups.get(key)
        team: Team | None = self.store.teams.get(key)
        if (group is None or group.tenant != issued.tenant) and (team is None or team.tenant != issued.tenant):
            return graph_error(404, "Request_ResourceNotFound",
                               f"Resource '{key}' does not exist or one of its queried reference-property objects "
                               f"are not present.")
        return key

    def _thread(self, request: Request, issued: IssuedToken) -> tuple[str, GroupThread] | Response:
        group = self._group(request, issued)
        if isinstance(group, Response):
            return group
        thread = self.store.group_mail.threads_of(group).get(request.params["thread"])
        if thread is None:
            return graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        return group, thread

    def _post(self, request: Request, issued: IssuedToken) -> tuple[str, GroupThread, GroupPost] | Response:
        found = self._thread(request, issued)
        if isinstance(found, Response):
            return found
        post = found[1].posts.get(request.params["post"])
        if post is None:
            return graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        return found[0], found[1], post

    # --- handlers ---------------------------------------------------------------------------
    def _ordered(self, group: str) -> list[GroupThread]:
        return sorted(self.store.group_mail.threads_of(group).values(), key=lambda t: (t.last_delivered, t.id),
                      reverse=True)

    def conversations(self, request: Request, issued: IssuedToken) -> Response:
        group = self._group(request, issued)
        if isinstance(group, Response):
            return group
        rows = [{k: v for k, v in {**self.thread_json(t), "id": t.conversation_id}.items()
                 if k not in ("isLocked", "toRecipients", "ccRecipients")} for t in self._ordered(group)]
        return common.collection(request, f"groups('{group}')/conversations", rows, default_size=10)

    def threads(self, request: Request, issued: IssuedToken) -> Response:
        group = self._group(request, issued)
        if isinstance(group, Response):
            return group
        return common.collection(request, f"groups('{group}')/threads", self._ordered(group), default_size=10,
                                 render=self.thread_json)

    def thread(self, request: Request, issued: IssuedToken) -> Response:
        found = self._thread(request, issued)
        if isinstance(found, Response):
            return found
        return common.entity(f"groups('{found[0]}')/threads", self.thread_json(found[1]), request)

    def posts(self, request: Request, issued: IssuedToken) -> Response:
        found = self._thread(request, issued)
        if isinstance(found, Response):
            return found
        group, thread = found
        expand = "inreplyto" in (request.arg("$expand") or "").lower()
        rows = [self.post_json(p, thread.posts.get(p.in_reply_to or ""), expand) for p in thread.posts.values()]
        return common.collection(request, f"groups('{group}')/threads('{thread.id}')/posts", rows, default_size=10)

    def attachments(self, request: Request, issued: IssuedToken) -> Response:
        found = self._post(request, issued)
        if isinstance(found, Response):
            return found
        group, thread, post = found
        return common.collection(request, f"groups('{group}')/threads('{thread.id}')/posts('{post.id}')/attachments",
                                 [self.attachment_json(a) for a in post.attachments], default_size=10)
