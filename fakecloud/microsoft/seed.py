"""Seeding and inspection of a Microsoft 365 tenant for the generic control API.

``kind`` → where ``path`` points (the container), and the item path that ``seed``
returns, ``items`` lists and ``remove`` takes:

=============== ============================================ ===================================
kind            seed ``path`` (container)                    item path
=============== ============================================ ===================================
mail            mail folder path, e.g. ``Inbox/Receipts``    ``Inbox/Receipts/<message id>``
event           calendar name (default ``Calendar``), or       ``Calendar/<event id>``,
                ``groups/<team>`` for a team's group calendar  ``groups/<team>/<event id>``
contact         contact folder (default ``Contacts``)         ``Contacts/<contact id>``
task            To Do list (default ``Tasks``)                ``Tasks/<task id>``
file            file path in the account's OneDrive,          the same path; with ``meta.site``:
                e.g. ``/Reports/q1.xlsx``; with                ``sites/<site>/<library>/<path>``;
                ``meta.site`` (+ ``meta.library``) in a site;  listed without ``account``:
                ``meta.size`` (+ ``meta.seed``): a synthetic
                file of that many bytes, generated on demand
                                                               ``users/<upn>/<path>`` for OneDrives
listitem        ``<site path>/<list name>``                   ``<site>/<list>/<item id>``
page            ``<site path>/<page name>``                   ``<site>/<page name>.aspx``
channelmessage  ``<team>/<channel>`` (``meta.replyTo``,       ``<team>/<channel>/<id>`` (replies:
                ``meta.membershipType``)                       ``<team>/<channel>/<root id>/<id>``)
chatmessage     chat topic (``meta.members``: UPNs)            ``<topic>/<message id>``
=============== ============================================ ===================================

Mail takes ``meta.location``: ``primary`` (default), ``archive`` (``path`` in the user's In-Place
Archive, enabled on first use; ``meta.auxiliary``: in an expanded folder whose content lives in an
auxiliary archive behind a 308, ``meta.redirect_base`` the Location's base for tests of foreign
redirects) or ``recoverable`` (``path``: ``Deletions`` (default), ``Purges`` or ``Versions``);
``meta.mailboxType`` ``shared``/``room``/``equipment`` makes the account a shared or resource
mailbox (``accountEnabled`` false, ``mailboxSettings.userPurpose`` that type); ``meta.accountEnabled`` false
disables an ordinary user (a leaver; ``userPurpose`` stays ``user``). ``items`` of mail reports ``location``
per message. ``group_post``: a post in a Microsoft 365 group's conversations (``account`` the group; see
:mod:`fakecloud.microsoft.group_mail`).

``remove`` of a listitem also takes a list's path (``<site>/<list>``): the whole list is deleted.
Content is the natural form: MIME, ICS, VCF, JSON (task fields, list item fields,
page properties, chatMessage with ``body`` or plain HTML text) or file bytes. Sites,
lists, teams, channels, chats, folders and unknown accounts (as licensed users) are
created on first use. ``items`` hashes the stored bytes (sha256).
"""

from __future__ import annotations

import json
import secrets
import uuid
from typing import Any

from fakecloud.microsoft.archive import archive_mailboxes, location_of, seed_mail
from fakecloud.microsoft.blob import Content, SyntheticContent, sha256_of
from fakecloud.microsoft.drive_store import Drive, owner_permission
from fakecloud.microsoft.feed import Entity, Feed
from fakecloud.microsoft.group_mail import group_post_items, seed_group_post
from fakecloud.microsoft.models import Chat, Folder, Pim, SPList, chat_id
from fakecloud.microsoft.pim import TASK_KEYS, new_attachment, new_entity
from fakecloud.microsoft.pim_formats import contact_from_vcf, event_from_ics
from fakecloud.microsoft.sites import (
    add_columns,
    ensure_list,
    ensure_site,
    new_list_item,
    new_page,
    root_site,
)
from fakecloud.microsoft.store import MicrosoftStore, User
from fakecloud.microsoft.teams import ensure_channel, ensure_team, new_message, soft_delete
from fakecloud.tokens import new_id

ALL_ROLES = ["User.Read.All", "Directory.Read.All", "Mail.ReadWrite", "MailboxSettings.Read", "Files.ReadWrite.All",
             "Sites.FullControl.All",
             "Calendars.ReadWrite", "Contacts.ReadWrite", "Tasks.ReadWrite.All", "Group.Read.All",
             "Team.ReadBasic.All", "Channel.ReadBasic.All", "ChannelMessage.Read.All", "Chat.ReadWrite.All",
             "Teamwork.Migrate.All"]
PIM_GROUPS = {"event": ("calendars", "Calendar"), "contact": ("contact_folders", "Contacts"),
              "task": ("todo_lists", "Tasks")}
KINDS = ("mail", "event", "contact", "task", "file", "listitem", "page", "channelmessage", "chatmessage",
         "group_post")


def credentials(store: MicrosoftStore, tenant: str, base_url: str) -> dict[str, Any]:
    client_id, secret = str(uuid.uuid4()), secrets.token_urlsafe(24)
    store.add_app(tenant, client_id, secret, ALL_ROLES)
    return {"settings": {"tenant_id": tenant, "client_id": client_id, "client_secret": secret,
                         "endpoint": base_url, "login_endpoint": base_url}}


def _json_object(content: bytes, kind: str) -> dict[str, Any]:
    value = json.loads(content)
    if not isinstance(value, dict):
        raise ValueError(f"a {kind} is seeded as a JSON object")
    return value


def _row(path: str, content: Content, modified: str) -> dict[str, Any]:
    return {"path": path, "sha256": sha256_of(content), "size": len(content), "modified": modified}


class MicrosoftSeeder:
    def __init__(self, store: MicrosoftStore) -> None:
        self.store = store

    # --- helpers ------------------------------------------------------------------------------
    def account(self, tenant: str, upn: str) -> User:
        self.store.users.setdefault(tenant, {})
        user = self.store.user(tenant, upn)
        if user is None:
            user = self.store.user(tenant, self.store.add_user(tenant, upn))
        assert user is not None
        return user

    def mail_folder(self, tenant: str, user: User, path: str) -> str:
        current = user.folders[user.root_id]
        for part in [p for p in (path or "Inbox").split("/") if p]:
            found = next((f for f in user.folders.values() if f.parent_id == current.id and
                          part.lower() in (f.display_name.lower(), (f.well_known or ""))), None)
            if found is None:
                found = user.folders[self.store.add_folder(tenant, user.id, part, current.id)]
            current = found
        return current.id

    def folder_path(self, user: User, folder_id: str) -> str:
        parts = []
        folder = user.folders.get(folder_id)
        while folder is not None and folder.id != user.root_id:
            parts.append(folder.display_name)
            folder = user.folders.get(folder.parent_id)
        return "/".join(reversed(parts))

    def pim_folder(self, tenant: str, user: User, kind: str, name: str, create: bool = True) -> Folder | None:
        pim = self.store.user_pim(tenant, user)
        assert pim is not None
        group_name, default = PIM_GROUPS[kind]
        group: dict[str, Folder] = getattr(pim, group_name)
        folder = Pim.find(group, name or default)
        if folder is None and create:
            folder = Folder("AAMk" + new_id(30), name)
            group[folder.id] = folder
        return folder

    def site_library(self, tenant: str, site_path: str, library: str) -> tuple[Drive, str]:
        site = ensure_site(self.store, tenant, site_path) if site_path else root_site(self.store, tenant)
        splist = site.list_named(library or "Documents")
        if splist is None or splist.drive_id is None:
            raise KeyError(f"no document library {library!r} in site {site_path!r}")
        return self.store.drives.drives[splist.drive_id], f"sites/{site.path}/{splist.name}"

    def _drives(self, tenant: str, account: str) -> list[tuple[Drive, str]]:
        """(drive, item path prefix) of the account's OneDrive, or of every drive when account is empty."""
        if account and not account.startswith("sites/"):
            user = self.store.user(tenant, account)
            drive = self.store.user_drive(tenant, user) if user else None
            return [(drive, "")] if drive else []
        out = []
        for site in self.store.sites.values():
            if site.tenant == tenant and (not account or account == f"sites/{site.path}"):
                out += [(self.store.drives.drives[x.drive_id], f"sites/{site.path}/{x.name}")
                        for x in site.lists.values() if x.drive_id]
        if not account:  # every OneDrive, told apart by its owner
            drives = [self.store.drives.drives[d] for (t, _u), d in self.store.drives.user_drives.items() if t == tenant]
            out += [(d, f"users/{d.owner_account}") for d in drives]
        return out

    # --- seed -----------------------------------------------------------------------------------
    def seed(self, tenant: str, account: str, kind: str, path: str, content: bytes,
             meta: dict[str, Any]) -> dict[str, str]:
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r} (one of {', '.join(KINDS)})")
        if kind == "group_post":  # account = the group (fakecloud/microsoft/group_mail.py)
            return seed_group_post(self.store, tenant, account, path, content, meta)
        user = self.account(tenant, account)
        by = {"id": user.id, "displayName": user.display_name}
        if kind == "mail":
            placed = seed_mail(self.store, tenant, user, path, content, meta)
            if placed is not None:
                mailbox, folder, message = placed
                return {"id": message, "path": f"{self.folder_path(mailbox, folder)}/{message}"}
            folder = self.mail_folder(tenant, user, path)
            message = self.store.add_message(tenant, user.id, folder, content)
            if isinstance(meta.get("flag"), dict):  # a followupFlag, e.g. {"flagStatus": "flagged"}
                user.messages[message].flag = dict(meta["flag"])
            return {"id": message, "path": f"{self.folder_path(user, folder)}/{message}"}
        if kind == "event" and path.startswith("groups/"):  # the team's group calendar
            team = ensure_team(self.store, tenant, path.removeprefix("groups/"))
            entity = new_entity(team.events, {**event_from_ics(content), **meta}, content, user.upn)
            return {"id": entity.id, "path": f"groups/{team.display_name}/{entity.id}"}
        if kind in PIM_GROUPS:
            pim_folder = self.pim_folder(tenant, user, kind, path)
            assert pim_folder is not None
            if kind == "event":
                props = {**event_from_ics(content), **{k: v for k, v in meta.items() if k != "attachments"}}
            elif kind == "contact":
                props = {**contact_from_vcf(content), **meta}
            else:
                props = {k: v for k, v in _json_object(content, kind).items() if k in TASK_KEYS}
            entity = new_entity(pim_folder.feed, props, content, user.upn)
            for attachment in meta.get("attachments", []) if kind == "event" else []:
                new_attachment(entity, attachment["name"], attachment.get("contentType", "application/octet-stream"),
                               attachment["content_b64"])
            return {"id": entity.id, "path": f"{pim_folder.name}/{entity.id}"}
        if kind == "file":
            if meta.get("site") is not None:
                drive, prefix = self.site_library(tenant, str(meta["site"]), str(meta.get("library", "Documents")))
            else:
                found = self.store.user_drive(tenant, user)
                assert found is not None
                drive, prefix = found, ""
            folder, _, name = path.strip("/").rpartition("/")
            parent = self.store.drives.ensure_folders(drive, folder)
            stored: Content = content
            if "size" in meta:  # a large synthetic file, generated on demand from meta.seed
                stored = SyntheticContent(int(meta["size"]), str(meta.get("seed", path)))
            item, _created = self.store.drives.put_file(drive, parent, name, stored, "replace", owner=by)
            item.permissions = [owner_permission(by), *meta.get("permissions", [])]
            return {"id": item.id, "path": prefix + drive.path_of(item)}
        if kind in ("listitem", "page"):
            site_path, _, leaf = path.strip("/").rpartition("/")
            site = ensure_site(self.store, tenant, site_path) if site_path else root_site(self.store, tenant)
            data = _json_object(content, kind)
            if kind == "listitem":
                splist = ensure_list(site, leaf)
                fields = data["fields"] if isinstance(data.get("fields"), dict) else data
                add_columns(splist, fields)
                entity = new_list_item(splist, fields, by, content, user.upn)
                return {"id": entity.id, "path": f"{site.path}/{splist.display_name}/{entity.id}"}
            entity = new_page(site, leaf, data, by, content, user.upn)
            return {"id": entity.id, "path": f"{site.path}/{entity.name}"}
        return self._seed_message(tenant, user, kind, path, content, meta)

    def _seed_message(self, tenant: str, user: User, kind: str, path: str, content: bytes,
                      meta: dict[str, Any]) -> dict[str, str]:
        try:
            data = json.loads(content)
        except ValueError:
            data = None
        body = data["body"] if isinstance(data, dict) and isinstance(data.get("body"), dict) else \
            {"contentType": "html", "content": content.decode("utf-8", errors="replace")}
        if kind == "channelmessage":
            team_name, _, channel_name = path.strip("/").partition("/")
            team = ensure_team(self.store, tenant, team_name)
            if user.id not in team.members:
                team.members.append(user.id)
            channel = ensure_channel(team, channel_name or "General", str(meta.get("membershipType", "standard")))
            parent = channel.messages.items.get(str(meta["replyTo"])) if meta.get("replyTo") else None
            if meta.get("replyTo") and parent is None:
                raise KeyError(f"no message {meta['replyTo']} in {path}")
            entity = new_message(channel.messages, user, tenant, body, content, parent)
            middle = f"{parent.id}/" if parent else ""
            return {"id": entity.id, "path": f"{team.display_name}/{channel.display_name}/{middle}{entity.id}"}
        members = [user.id] + [self.account(tenant, upn).id for upn in meta.get("members", [])]
        chat = next((c for c in self.store.chats.values() if c.tenant == tenant and c.topic == path), None)
        if chat is None:
            chat = Chat(chat_id(), tenant, path, "group" if path or len(members) > 2 else "oneOnOne")
            self.store.chats[chat.id] = chat
        chat.members += [m for m in members if m not in chat.members]
        entity = new_message(chat.messages, user, tenant, body, content)
        return {"id": entity.id, "path": f"{chat.topic}/{entity.id}"}

    # --- items ----------------------------------------------------------------------------------
    def items(self, tenant: str, account: str, kind: str) -> list[dict[str, Any]]:
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r} (one of {', '.join(KINDS)})")
        if kind == "group_post":
            return group_post_items(self.store, tenant, account)
        users = [u for u in self.store.users.get(tenant, {}).values()
                 if not account or u.upn.lower() == account.lower() or u.id == account]
        rows: list[dict[str, Any]] = []
        if kind == "mail":
            for user in users:
                for mailbox in [user, *archive_mailboxes(self.store, user)]:
                    rows += [{**_row(f"{self.folder_path(mailbox, m.folder_id)}/{m.id}", m.mime, m.received),
                              "location": location_of(mailbox, m.folder_id)} for m in mailbox.messages.values()]
        elif kind in PIM_GROUPS:
            for user in users:
                pim = self.store.user_pim(tenant, user)
                for folder in getattr(pim, PIM_GROUPS[kind][0]).values() if pim else []:
                    rows += [_row(f"{folder.name}/{e.id}", e.content, e.extra["modified"])
                             for e in folder.feed.items.values()]
            if kind == "event":
                for team in self.store.teams.values():
                    rows += [_row(f"groups/{team.display_name}/{e.id}", e.content, e.extra["modified"])
                             for e in team.events.items.values() if team.tenant == tenant
                             and (not account or e.owner.lower() == account.lower())]
        elif kind == "file":
            for drive, prefix in self._drives(tenant, account):
                rows += [_row(prefix + drive.path_of(i), i.content, i.modified) for i in drive.feed.items.values()
                         if not i.is_folder]
        else:
            rows = [_row(path, e.content, e.extra["modified"]) for path, e, _feed, _parent in self._entities(tenant, kind)
                    if (not account or e.owner.lower() == account.lower()) and not e.extra.get("deleted")]
        return sorted(rows, key=lambda r: r["path"])

    def _entities(self, tenant: str, kind: str) -> list[tuple[str, Entity, Feed, Entity | None]]:
        out: list[tuple[str, Entity, Feed, Entity | None]] = []
        if kind in ("listitem", "page"):
            for site in self.store.sites.values():
                if site.tenant != tenant:
                    continue
                if kind == "page":
                    out += [(f"{site.path}/{e.name}", e, site.pages, None) for e in site.pages.items.values()]
                    continue
                lists: list[SPList] = [x for x in site.lists.values() if x.template != "documentLibrary"]
                out += [(f"{site.path}/{x.display_name}/{e.id}", e, x.feed, None) for x in lists
                        for e in x.feed.items.values()]
        elif kind == "channelmessage":
            for team in self.store.teams.values():
                for channel in team.channels.values() if team.tenant == tenant else []:
                    base = f"{team.display_name}/{channel.display_name}"
                    for e in channel.messages.items.values():
                        out.append((f"{base}/{e.id}", e, channel.messages, None))
                        out += [(f"{base}/{e.id}/{r.id}", r, channel.messages, e)
                                for r in e.extra["replies"].items.values()]
        elif kind == "chatmessage":
            for chat in self.store.chats.values():
                if chat.tenant == tenant:
                    out += [(f"{chat.topic}/{e.id}", e, chat.messages, None) for e in chat.messages.items.values()]
        return out

    # --- remove ---------------------------------------------------------------------------------
    def remove(self, tenant: str, account: str, kind: str, path: str) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r} (one of {', '.join(KINDS)})")
        leaf = path.rstrip("/").rsplit("/", 1)[-1]
        if kind == "mail":
            owner = self.store.user(tenant, account)
            archived = next((m for m in archive_mailboxes(self.store, owner) if leaf in m.messages), None) \
                if owner is not None else None
            if archived is None:
                self.store.delete_message(tenant, account, leaf)
            else:  # a message of the In-Place Archive (or an auxiliary archive)
                archived.append(archived.messages.pop(leaf).folder_id, leaf, "remove")
        elif kind == "event" and path.startswith("groups/"):
            team = next((t for t in self.store.teams.values() if t.tenant == tenant and leaf in t.events.items), None)
            if team is None:
                raise KeyError(f"no event {path}")
            team.events.remove(leaf)
        elif kind in PIM_GROUPS:
            user = self.store.user(tenant, account)
            pim = self.store.user_pim(tenant, user) if user else None
            owner = Pim.owner_of(getattr(pim, PIM_GROUPS[kind][0]), leaf) if pim else None
            if owner is None:
                raise KeyError(f"no {kind} {path}")
            owner[0].feed.remove(leaf)
        elif kind == "file":
            qualified = path.startswith(("sites/", "users/"))
            for drive, prefix in self._drives(tenant, "" if qualified else account):
                if path.startswith(prefix + "/") and (item := drive.by_path(path[len(prefix):])) is not None \
                        and item.parent_id is not None and (prefix or not qualified):
                    self.store.drives.delete(drive, item)
                    return
            raise KeyError(f"no file {path}")
        elif kind == "listitem" and self._remove_list(tenant, path):
            return
        else:
            found = next(((e, feed, parent) for p, e, feed, parent in self._entities(tenant, kind) if p == path), None)
            if found is None:
                raise KeyError(f"no {kind} {path}")
            entity, feed, parent = found
            if kind in ("channelmessage", "chatmessage"):
                soft_delete(feed, entity, parent)
            else:
                feed.remove(entity.id)

    def _remove_list(self, tenant: str, path: str) -> bool:
        """``remove`` of kind listitem with a list's path (``<site>/<list>``) deletes the whole list."""
        for site in self.store.sites.values():
            for splist in list(site.lists.values()) if site.tenant == tenant else []:
                if splist.template != "documentLibrary" and \
                        f"{site.path}/{splist.display_name}".strip("/").lower() == path.strip("/").lower():
                    del site.lists[splist.id]
                    return True
        return False

    # --- delta invalidation -----------------------------------------------------------------------
    def feeds(self, tenant: str, account: str, kind: str, path: str = "") -> list[Feed]:
        """The delta feeds of ``kind`` for ``account`` (optionally one container ``path``)."""
        if kind == "file":
            return [d.feed for d, _prefix in self._drives(tenant, account)]
        if kind in PIM_GROUPS:
            user = self.store.user(tenant, account)
            pim = self.store.user_pim(tenant, user) if user else None
            folders = getattr(pim, PIM_GROUPS[kind][0]).values() if pim else []
            return [f.feed for f in folders if not path or f.name.lower() == path.lower()]
        if kind == "listitem":
            return [x.feed for s in self.store.sites.values() if s.tenant == tenant for x in s.lists.values()
                    if not path or f"{s.path}/{x.display_name}".lower() == path.lower()]
        if kind == "channelmessage":
            return [c.messages for t in self.store.teams.values() if t.tenant == tenant for c in t.channels.values()
                    if not path or f"{t.display_name}/{c.display_name}".lower() == path.lower()]
        raise ValueError(f"kind {kind!r} has no delta to invalidate")
