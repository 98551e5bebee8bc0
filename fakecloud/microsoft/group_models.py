"""State of Microsoft 365 group mailboxes: groups without a team, and every group's threads and posts.

Plain data (served by :mod:`fakecloud.microsoft.group_mail`). A team is a Microsoft 365 group too:
its group mailbox lives here under the team's (group) id; ``groups`` holds only the groups that
are not teams (and non-Unified groups, for the ``groupTypes`` filter).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fakecloud.microsoft.feed import now_iso
from fakecloud.tokens import new_id


@dataclass
class UnifiedGroup:
    id: str
    tenant: str
    display_name: str
    mail_nickname: str
    mail: str | None
    group_types: list[str] = field(default_factory=lambda: ["Unified"])
    mail_enabled: bool = True
    description: str = ""
    created: str = field(default_factory=now_iso)


@dataclass
class PostAttachment:
    id: str
    name: str
    content_type: str
    content: bytes
    is_inline: bool = False
    content_id: str | None = None
    modified: str = field(default_factory=now_iso)


@dataclass
class GroupPost:
    id: str
    thread_id: str
    conversation_id: str
    received: str
    sender: dict[str, str]  # {"name", "address"}
    body: dict[str, str]  # an itemBody: {"contentType", "content"}
    content: bytes  # what was seeded (the body's bytes), hashed by /_fakecloud/items
    new_participants: list[dict[str, str]] = field(default_factory=list)
    in_reply_to: str | None = None
    attachments: list[PostAttachment] = field(default_factory=list)
    change_key: str = field(default_factory=lambda: new_id(9))


@dataclass
class GroupThread:
    id: str
    conversation_id: str
    topic: str
    posts: dict[str, GroupPost] = field(default_factory=dict)
    last_delivered: str = ""
    to_recipients: list[dict[str, str]] = field(default_factory=list)


@dataclass
class GroupDirectory:
    groups: dict[str, UnifiedGroup] = field(default_factory=dict)
    threads: dict[str, dict[str, GroupThread]] = field(default_factory=dict)  # group id -> thread id -> thread

    def threads_of(self, group_id: str) -> dict[str, GroupThread]:
        return self.threads.setdefault(group_id, {})

    def post(self, group_id: str, post_id: str) -> GroupPost | None:
        for thread in self.threads.get(group_id, {}).values():
            if post_id in thread.posts:
                return thread.posts[post_id]
        return None

    @staticmethod
    def recipient(value: dict[str, str]) -> dict[str, Any]:
        return {"emailAddress": {"name": value.get("name") or value.get("address", ""),
                                 "address": value.get("address", "")}}
