"""Containers of the non-mail workloads: sites and lists, teams and channels, chats, PIM folders.

Plain data; the workload modules (``sites``, ``teams``, ``pim``) serve them and
:mod:`fakecloud.seeding` fills them. Every delta scope is a :class:`Feed`.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any

from fakecloud.microsoft.feed import Entity, Feed, now_iso
from fakecloud.tokens import new_id


@dataclass
class SPList:
    id: str
    name: str
    display_name: str
    template: str = "genericList"  # genericList | documentLibrary
    drive_id: str | None = None
    created: str = field(default_factory=now_iso)
    feed: Feed = field(default_factory=Feed)
    next_item: int = 1
    description: str = ""
    columns: list[dict[str, Any]] = field(default_factory=list)  # columnDefinition rows (besides the built-in ones)

    def new_item_id(self) -> str:
        value, self.next_item = self.next_item, self.next_item + 1
        return str(value)


@dataclass
class Site:
    id: str
    tenant: str
    path: str  # "" for the root site, "marketing", "marketing/emea"
    display_name: str
    web_url: str
    parent_id: str | None = None
    description: str = ""
    created: str = field(default_factory=now_iso)
    lists: dict[str, SPList] = field(default_factory=dict)
    pages: Feed = field(default_factory=Feed)
    group_id: str | None = None

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1] if self.path else "root"

    def list_named(self, key: str) -> SPList | None:
        lowered = key.lower()
        return self.lists.get(key) or next((x for x in self.lists.values()
                                            if lowered in (x.name.lower(), x.display_name.lower())), None)


def site_id(host: str) -> str:
    return f"{host}.sharepoint.com,{uuid.uuid4()},{uuid.uuid4()}"


@dataclass
class Channel:
    id: str
    display_name: str
    membership_type: str = "standard"  # standard | private | shared
    description: str = ""
    created: str = field(default_factory=now_iso)
    messages: Feed = field(default_factory=Feed)  # root messages; replies live in Entity.extra["replies"]


def channel_id() -> str:
    return f"19:{secrets.token_hex(16)}@thread.tacv2"


@dataclass
class Team:
    id: str  # the group id
    tenant: str
    display_name: str
    mail_nickname: str
    site_id: str
    description: str = ""
    created: str = field(default_factory=now_iso)
    channels: dict[str, Channel] = field(default_factory=dict)
    members: list[str] = field(default_factory=list)  # user ids
    events: Feed = field(default_factory=Feed)  # the group calendar

    def channel_named(self, key: str) -> Channel | None:
        return self.channels.get(key) or next((c for c in self.channels.values()
                                               if c.display_name.lower() == key.lower()), None)


@dataclass
class Chat:
    id: str
    tenant: str
    topic: str
    chat_type: str  # oneOnOne | group
    members: list[str] = field(default_factory=list)  # user ids
    created: str = field(default_factory=now_iso)
    messages: Feed = field(default_factory=Feed)


def chat_id() -> str:
    return f"19:{secrets.token_hex(16)}@thread.v2"


@dataclass
class Folder:
    """A calendar, contact folder or To Do list: a named feed of entities."""

    id: str
    name: str
    well_known: str | None = None
    feed: Feed = field(default_factory=Feed)
    change_key: str = field(default_factory=lambda: new_id(9))


@dataclass
class Pim:
    calendars: dict[str, Folder] = field(default_factory=dict)
    contact_folders: dict[str, Folder] = field(default_factory=dict)
    todo_lists: dict[str, Folder] = field(default_factory=dict)

    @classmethod
    def create(cls) -> Pim:
        pim = cls()
        for group, name, known in ((pim.calendars, "Calendar", "calendar"),
                                   (pim.contact_folders, "Contacts", "contacts"),
                                   (pim.todo_lists, "Tasks", "defaultList")):
            folder = Folder("AAMk" + new_id(30), name, known)
            group[folder.id] = folder
        return pim

    @staticmethod
    def find(group: dict[str, Folder], key: str) -> Folder | None:
        lowered = key.lower()
        return group.get(key) or next((f for f in group.values()
                                       if lowered in (f.name.lower(), (f.well_known or "").lower())), None)

    @staticmethod
    def owner_of(group: dict[str, Folder], entity_id: str) -> tuple[Folder, Entity] | None:
        for folder in group.values():
            if entity_id in folder.feed.items:
                return folder, folder.feed.items[entity_id]
        return None
