"""Microsoft Teams: ``/groups`` (Team filter), ``/teams/{id}``, channels (standard, private,
shared), channel messages with ``/replies`` and ``/messages/delta``, ``filesFolder``, the
team's group calendar ``/groups/{id}/events``, ``/users/{id}/chats`` and
``/chats/{id}/messages``; posting messages (migration-style restore) and creating channels
(``POST /teams/{id}/channels``: 201 with the channel; a display name already used in the team is
400 ``NameAlreadyExists``).

Deleting a message is a soft delete as in Teams: the message stays, with
``deletedDateTime`` set and an empty body, and shows up again in the delta.
"""

from __future__ import annotations

import itertools
import json
import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from fakecloud.microsoft import common
from fakecloud.microsoft.common import Workload
from fakecloud.microsoft.errors import graph_error
from fakecloud.microsoft.feed import Entity, Feed
from fakecloud.microsoft.group_mail import list_groups
from fakecloud.microsoft.models import Channel, Chat, Team, channel_id
from fakecloud.microsoft.pim import event_json
from fakecloud.microsoft.sites import ensure_site
from fakecloud.microsoft.store import IssuedToken, MicrosoftStore, User
from fakecloud.web import Request, Response, Router

TEAM = r"/teams/(?P<team>[^/]+)"
CHANNEL = TEAM + r"/channels/(?P<channel>[^/]+)"
MESSAGE = CHANNEL + r"/messages/(?P<message>\d+)"
CHAT = r"/chats/(?P<chat>[^/]+)"
MODIFIED_FILTER = re.compile(r"lastModifiedDateTime (gt|lt) (\S+)")
TEAM_READ = {"Team.ReadBasic.All", "TeamSettings.Read.All", "TeamSettings.ReadWrite.All", "Group.Read.All",
             "Group.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}
CHANNEL_READ = {"Channel.ReadBasic.All", "ChannelSettings.Read.All", "ChannelSettings.ReadWrite.All",
                "Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}
MESSAGES_READ = {"ChannelMessage.Read.All", "ChannelMessage.ReadWrite.All", "Group.Read.All", "Group.ReadWrite.All"}
MESSAGES_WRITE = {"Teamwork.Migrate.All", "ChannelMessage.ReadWrite.All"}
CHAT_READ = {"Chat.Read.All", "Chat.ReadWrite.All", "Chat.ReadBasic.All"}
CHAT_WRITE = {"Chat.ReadWrite.All", "Teamwork.Migrate.All"}
CHANNEL_CREATE = {"Channel.Create", "Teamwork.Migrate.All", "Group.ReadWrite.All", "Directory.ReadWrite.All"}
MEMBERSHIP_TYPES = ("standard", "private", "shared")
FILES_READ = {"Files.Read.All", "Files.ReadWrite.All", "Sites.Read.All", "Sites.ReadWrite.All", "Group.Read.All",
              "Group.ReadWrite.All"}
GROUP_READ = {"Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}
GROUP_CALENDAR = {"Calendars.Read", "Calendars.ReadWrite", "Group.Read.All", "Group.ReadWrite.All"}


def ensure_team(store: MicrosoftStore, tenant: str, name: str) -> Team:
    """The team called ``name`` (display name or mail nickname), created with its site and General channel."""
    lowered = name.lower()
    team = next((t for t in store.teams.values() if t.tenant == tenant and
                 lowered in (t.display_name.lower(), t.mail_nickname.lower(), t.id)), None)
    if team is None:
        group = str(uuid.uuid4())
        nickname = "".join(ch for ch in name if ch.isalnum()) or "team"
        site = ensure_site(store, tenant, nickname, name, group_id=group)
        team = Team(group, tenant, name, nickname, site.id)
        general = Channel(channel_id(), "General")
        team.channels[general.id] = general
        store.teams[team.id] = team
    return team


def ensure_channel(team: Team, name: str, membership: str = "standard") -> Channel:
    channel = team.channel_named(name)
    if channel is None:
        channel = Channel(channel_id(), name, membership)
        team.channels[channel.id] = channel
    return channel


_SEQUENCE = itertools.count()


def message_id() -> str:
    """Teams message ids are epoch milliseconds; a counter keeps ids unique within one millisecond."""
    return str(int(time.time() * 1000) * 1000 + next(_SEQUENCE) % 1000)


def new_message(feed: Feed, sender: User, tenant: str, body: dict[str, Any], content: bytes | None = None,
                reply_to: Entity | None = None) -> Entity:
    """Post a message (or a reply, which touches its parent so the parent shows up in the delta)."""
    now = stamp()
    entity = Entity(message_id(), {"body": body}, content if content is not None else
                    json.dumps({"body": body}, sort_keys=True).encode(), sender.upn)
    entity.extra.update({"created": now, "modified": now, "deleted": None, "etag": str(int(time.time() * 1000)),
                         "from": {"id": sender.id, "displayName": sender.display_name, "tenantId": tenant},
                         "replies": Feed(), "reply_to": reply_to.id if reply_to else None})
    if reply_to is not None:
        reply_to.extra["replies"].put(entity.id, entity)
        reply_to.extra["modified"] = now
        feed.touch(reply_to.id)
    else:
        feed.put(entity.id, entity)
    return entity


def stamp() -> str:
    """Teams timestamps carry milliseconds (``2019-02-04T19:58:15.511Z``)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def soft_delete(feed: Feed, entity: Entity, parent: Entity | None = None) -> None:
    entity.extra["deleted"] = entity.extra["modified"] = stamp()
    if parent is not None:
        parent.extra["replies"].touch(entity.id)
        feed.touch(parent.id)
    else:
        feed.touch(entity.id)


class TeamsService(Workload):
    denied_code = "Forbidden"

    def register(self, router: Router) -> None:
        r = self.route
        r(router, "GET", r"/groups", self.groups, roles=GROUP_READ)
        r(router, "GET", r"/groups/(?P<team>[^/]+)/events", self.group_events, roles=GROUP_CALENDAR)
        r(router, "GET", r"/groups/(?P<team>[^/]+)/sites/root", self.group_site, roles=FILES_READ)
        r(router, "GET", TEAM, self.get_team, roles=TEAM_READ)
        r(router, "GET", TEAM + r"/channels", self.channels, roles=CHANNEL_READ)
        r(router, "GET", TEAM + r"/allChannels", self.channels, roles=CHANNEL_READ)
        r(router, "POST", TEAM + r"/channels", self.create_channel, roles=CHANNEL_CREATE)
        r(router, "GET", CHANNEL, self.get_channel, roles=CHANNEL_READ)
        r(router, "GET", CHANNEL + r"/filesFolder", self.files_folder, roles=FILES_READ)
        r(router, "GET", CHANNEL + r"/messages", self.channel_messages, roles=MESSAGES_READ)
        r(router, "GET", CHANNEL + r"/messages/delta", self.channel_delta, roles=MESSAGES_READ)
        r(router, "GET", MESSAGE, self.channel_message, roles=MESSAGES_READ)
        r(router, "GET", MESSAGE + r"/replies", self.replies, roles=MESSAGES_READ)
        r(router, "GET", MESSAGE + r"/replies/(?P<reply>\d+)", self.reply, roles=MESSAGES_READ)
        r(router, "POST", CHANNEL + r"/messages", self.post_channel_message, roles=MESSAGES_WRITE)
        r(router, "POST", MESSAGE + r"/replies", self.post_channel_message, roles=MESSAGES_WRITE)
        r(router, "GET", r"/users/(?P<user>[^/]+)/chats", self.user_chats, roles=CHAT_READ)
        r(router, "GET", CHAT, self.get_chat, roles=CHAT_READ)
        r(router, "GET", CHAT + r"/messages", self.chat_messages, roles=CHAT_READ)
        r(router, "GET", CHAT + r"/messages/(?P<message>\d+)", self.chat_message, roles=CHAT_READ)
        r(router, "POST", CHAT + r"/messages", self.post_chat_message, roles=CHAT_WRITE)

    # --- shapes ---------------------------------------------------------------------------
    def group_json(self, team: Team) -> dict[str, Any]:
        host = team.tenant
        return {"id": team.id, "displayName": team.display_name, "description": team.description,
                "mail": f"{team.mail_nickname}@{host}", "mailNickname": team.mail_nickname, "mailEnabled": True,
                "securityEnabled": False, "groupTypes": ["Unified"], "visibility": "Private",
                "resourceProvisioningOptions": ["Team"], "createdDateTime": team.created}

    def team_json(self, team: Team) -> dict[str, Any]:
        return {"id": team.id, "displayName": team.display_name, "description": team.description,
                "createdDateTime": team.created, "isArchived": False, "visibility": "private",
                "webUrl": f"https://teams.microsoft.com/l/team/{team.id}", "internalId": team.id,
                "tenantId": None, "specialization": "none",
                "memberSettings": {"allowCreateUpdateChannels": True, "allowDeleteChannels": True,
                                   "allowAddRemoveApps": True, "allowCreateUpdateRemoveTabs": True,
                                   "allowCreateUpdateRemoveConnectors": True},
                "messagingSettings": {"allowUserEditMessages": True, "allowUserDeleteMessages": True,
                                      "allowOwnerDeleteMessages": True, "allowTeamMentions": True,
                                      "allowChannelMentions": True},
                "summary": {"ownersCount": 1, "membersCount": len(team.members), "guestsCount": 0}}

    def channel_json(self, team: Team, channel: Channel) -> dict[str, Any]:
        return {"id": channel.id, "createdDateTime": channel.created, "displayName": channel.display_name,
                "description": channel.description, "isArchived": False, "membershipType": channel.membership_type,
                "email": "", "tenantId": team.tenant,
                "webUrl": f"https://teams.microsoft.com/l/channel/{channel.id}/{channel.display_name}"}

    def message_json(self, entity: Entity, team: Team | None = None, channel: Channel | None = None,
                     chat: Chat | None = None) -> dict[str, Any]:
        deleted = entity.extra["deleted"]
        sender = entity.extra["from"]
        row: dict[str, Any] = {
            "id": entity.id, "replyToId": entity.extra["reply_to"], "etag": entity.extra["etag"],
            "messageType": "message", "createdDateTime": entity.extra["created"],
            "lastModifiedDateTime": entity.extra["modified"], "lastEditedDateTime": None,
            "deletedDateTime": deleted, "subject": entity.props.get("subject"), "summary": None,
            "chatId": chat.id if chat else None, "importance": "normal", "locale": "en-us",
            "webUrl": None, "policyViolation": None, "eventDetail": None,
            "from": {"application": None, "device": None,
                     "user": {"@odata.type": "#microsoft.graph.teamworkUserIdentity", "id": sender["id"],
                              "displayName": sender["displayName"], "userIdentityType": "aadUser"}},
            "body": {"contentType": "html", "content": ""} if deleted else dict(entity.props["body"]),
            "attachments": [] if deleted else list(entity.props.get("attachments", [])),
            "mentions": [], "reactions": [], "messageHistory": [],
        }
        if team is not None and channel is not None:
            row["channelIdentity"] = {"teamId": team.id, "channelId": channel.id}
        return row

    def chat_json(self, chat: Chat) -> dict[str, Any]:
        return {"id": chat.id, "topic": chat.topic or None, "createdDateTime": chat.created,
                "lastUpdatedDateTime": chat.created, "chatType": chat.chat_type, "tenantId": chat.tenant,
                "webUrl": f"https://teams.microsoft.com/l/chat/{chat.id}/0", "isHiddenForAllMembers": False}

    # --- lookups ----------------------------------------------------------------------------
    def _team(self, request: Request, issued: IssuedToken) -> Team | Response:
        team = self.store.teams.get(request.params["team"])
        if team is None or team.tenant != issued.tenant:
            return graph_error(404, "NotFound", "No team found with Group Id " + request.params["team"])
        return team

    def _channel(self, request: Request, issued: IssuedToken) -> tuple[Team, Channel] | Response:
        team = self._team(request, issued)
        if isinstance(team, Response):
            return team
        channel = team.channels.get(request.params["channel"])
        if channel is None:
            return graph_error(404, "NotFound", "Channel not found")
        return team, channel

    def _message(self, request: Request, issued: IssuedToken) -> tuple[Team, Channel, Entity] | Response:
        found = self._channel(request, issued)
        if isinstance(found, Response):
            return found
        entity = found[1].messages.items.get(request.params["message"])
        if entity is None:
            return graph_error(404, "NotFound", "Message not found")
        return found[0], found[1], entity

    def _chat(self, request: Request, issued: IssuedToken) -> Chat | Response:
        chat = self.store.chats.get(request.params["chat"])
        if chat is None or chat.tenant != issued.tenant:
            return graph_error(404, "NotFound", "Chat not found")
        return chat

    # --- teams and groups -----------------------------------------------------------------------
    def groups(self, request: Request, issued: IssuedToken) -> Response:
        rows = [self.group_json(t) for t in sorted(self.store.teams.values(), key=lambda t: t.display_name)
                if t.tenant == issued.tenant]
        return list_groups(self.store, request, issued, rows)

    def get_team(self, request: Request, issued: IssuedToken) -> Response:
        team = self._team(request, issued)
        return team if isinstance(team, Response) else common.entity("teams", self.team_json(team), request)

    def group_site(self, request: Request, issued: IssuedToken) -> Response:
        team = self._team(request, issued)
        if isinstance(team, Response):
            return team
        site = self.store.sites[team.site_id]
        return common.entity("sites", {"id": site.id, "name": site.name, "displayName": site.display_name,
                                       "webUrl": site.web_url, "createdDateTime": site.created}, request)

    def group_events(self, request: Request, issued: IssuedToken) -> Response:
        team = self._team(request, issued)
        if isinstance(team, Response):
            return team
        rows = [event_json(e) for e in team.events.items.values()]
        return common.collection(request, f"groups('{team.id}')/events", rows, default_size=10)

    def channels(self, request: Request, issued: IssuedToken) -> Response:
        team = self._team(request, issued)
        if isinstance(team, Response):
            return team
        wanted = request.arg("$filter") or ""
        rows = [self.channel_json(team, c) for c in team.channels.values()
                if not wanted or f"'{c.membership_type}'" in wanted]
        return common.collection(request, f"teams('{team.id}')/channels", rows)

    def create_channel(self, request: Request, issued: IssuedToken) -> Response:
        team = self._team(request, issued)
        if isinstance(team, Response):
            return team
        body = request.json()
        name = str(body.get("displayName") or "").strip() if isinstance(body, dict) else ""
        if not name:
            return common.bad_request("A channel needs a displayName.", "BadRequest")
        membership = str(body.get("membershipType") or "standard")
        if membership not in MEMBERSHIP_TYPES:
            return common.bad_request(f"Invalid membershipType '{membership}'.", "BadRequest")
        if team.channel_named(name) is not None:
            return graph_error(400, "NameAlreadyExists", f"Channel name already existed, please use other name. "
                               f"Name: {name}")
        channel = ensure_channel(team, name, membership)
        channel.description = str(body.get("description") or "")
        return common.entity(f"teams('{team.id}')/channels", self.channel_json(team, channel), status=201)

    def get_channel(self, request: Request, issued: IssuedToken) -> Response:
        found = self._channel(request, issued)
        if isinstance(found, Response):
            return found
        return common.entity(f"teams('{found[0].id}')/channels", self.channel_json(*found), request)

    def files_folder(self, request: Request, issued: IssuedToken) -> Response:
        found = self._channel(request, issued)
        if isinstance(found, Response):
            return found
        team, channel = found
        site = self.store.sites[team.site_id]
        library = next(x for x in site.lists.values() if x.drive_id)
        drive = self.store.drives.drives[library.drive_id or ""]
        folder = self.store.drives.ensure_folders(drive, channel.display_name)
        row = {"id": folder.id, "name": folder.name, "createdDateTime": folder.created,
               "lastModifiedDateTime": folder.modified, "webUrl": drive.web_url + drive.path_of(folder),
               "size": drive.folder_size(folder),
               "parentReference": {"driveId": drive.id, "driveType": drive.drive_type},
               "fileSystemInfo": {"createdDateTime": folder.created, "lastModifiedDateTime": folder.modified},
               "folder": {"childCount": len(drive.kids.get(folder.id, {}))}}
        return common.entity(f"teams('{team.id}')/channels('{channel.id}')/filesFolder", row, request)

    # --- channel messages -------------------------------------------------------------------
    def channel_messages(self, request: Request, issued: IssuedToken) -> Response:
        found = self._channel(request, issued)
        if isinstance(found, Response):
            return found
        team, channel = found
        rows = [self.message_json(e, team, channel) for e in reversed(list(channel.messages.items.values()))]
        return common.collection(request, f"teams('{team.id}')/channels('{channel.id}')/messages", rows,
                                 default_size=20)

    def channel_delta(self, request: Request, issued: IssuedToken) -> Response:
        found = self._channel(request, issued)
        if isinstance(found, Response):
            return found
        team, channel = found
        return common.delta(request, channel.messages, "Collection(chatMessage)",
                            lambda e: self.message_json(e, team, channel),
                            lambda item_id: {"id": item_id, "@removed": {"reason": "deleted"}}, default_size=50)

    def channel_message(self, request: Request, issued: IssuedToken) -> Response:
        found = self._message(request, issued)
        if isinstance(found, Response):
            return found
        team, channel, entity = found
        return common.entity(f"teams('{team.id}')/channels('{channel.id}')/messages",
                             self.message_json(entity, team, channel), request)

    def replies(self, request: Request, issued: IssuedToken) -> Response:
        found = self._message(request, issued)
        if isinstance(found, Response):
            return found
        team, channel, entity = found
        rows = [self.message_json(r, team, channel) for r in entity.extra["replies"].items.values()]
        return common.collection(request, f"teams('{team.id}')/channels('{channel.id}')/messages"
                                          f"('{entity.id}')/replies", rows, default_size=50)

    def reply(self, request: Request, issued: IssuedToken) -> Response:
        found = self._message(request, issued)
        if isinstance(found, Response):
            return found
        team, channel, entity = found
        reply = entity.extra["replies"].items.get(request.params["reply"])
        if reply is None:
            return graph_error(404, "NotFound", "Message not found")
        return common.entity(f"teams('{team.id}')/channels('{channel.id}')/messages('{entity.id}')/replies",
                             self.message_json(reply, team, channel), request)

    def _sender(self, issued: IssuedToken, body: dict[str, Any]) -> User | Response:
        user_ref = ((body.get("from") or {}).get("user") or {}).get("id")
        user = self.store.user(issued.tenant, user_ref) if user_ref else None
        if user is None:
            users = sorted(self.store.users.get(issued.tenant, {}).values(), key=lambda u: u.upn)
            user = users[0] if users else None
        if user is None:
            return common.bad_request("No user to post as.")
        return user

    def post_channel_message(self, request: Request, issued: IssuedToken) -> Response:
        found = self._channel(request, issued)
        if isinstance(found, Response):
            return found
        team, channel = found
        body = request.json()
        if not isinstance(body, dict) or not isinstance(body.get("body"), dict):
            return common.bad_request("The message needs a body.")
        sender = self._sender(issued, body)
        if isinstance(sender, Response):
            return sender
        parent = channel.messages.items.get(request.params.get("message", ""))
        if "message" in request.params and parent is None:
            return graph_error(404, "NotFound", "Message not found")
        entity = new_message(channel.messages, sender, team.tenant, body["body"], reply_to=parent)
        return common.entity(f"teams('{team.id}')/channels('{channel.id}')/messages",
                             self.message_json(entity, team, channel), status=201)

    # --- chats --------------------------------------------------------------------------------
    def user_chats(self, request: Request, issued: IssuedToken) -> Response:
        user = self.store.user(issued.tenant, request.params["user"])
        if user is None:
            return graph_error(404, "NotFound", f"User {request.params['user']} not found")
        rows = [self.chat_json(c) for c in self.store.chats.values()
                if c.tenant == issued.tenant and user.id in c.members]
        return common.collection(request, f"users('{user.id}')/chats", rows, default_size=50)

    def get_chat(self, request: Request, issued: IssuedToken) -> Response:
        chat = self._chat(request, issued)
        return chat if isinstance(chat, Response) else common.entity("chats", self.chat_json(chat), request)

    def chat_messages(self, request: Request, issued: IssuedToken) -> Response:
        chat = self._chat(request, issued)
        if isinstance(chat, Response):
            return chat
        entities = list(reversed(list(chat.messages.items.values())))  # newest first (createdDateTime desc)
        order = (request.arg("$orderby") or "").strip()
        if order == "lastModifiedDateTime desc":
            entities.sort(key=lambda e: e.extra["modified"], reverse=True)
        for op, value in MODIFIED_FILTER.findall(request.arg("$filter") or ""):
            entities = [e for e in entities if (e.extra["modified"] > value if op == "gt" else
                                                e.extra["modified"] < value)]
        return common.collection(request, f"chats('{chat.id}')/messages", entities, default_size=50,
                                 render=lambda e: self.message_json(e, chat=chat))

    def chat_message(self, request: Request, issued: IssuedToken) -> Response:
        chat = self._chat(request, issued)
        if isinstance(chat, Response):
            return chat
        entity = chat.messages.items.get(request.params["message"])
        if entity is None:
            return graph_error(404, "NotFound", "Message not found")
        return common.entity(f"chats('{chat.id}')/messages", self.message_json(entity, chat=chat), request)

    def post_chat_message(self, request: Request, issued: IssuedToken) -> Response:
        chat = self._chat(request, issued)
        if isinstance(chat, Response):
            return chat
        body = request.json()
        if not isinstance(body, dict) or not isinstance(body.get("body"), dict):
            return common.bad_request("The message needs a body.")
        sender = self._sender(issued, body)
        if isinstance(sender, Response):
            return sender
        entity = new_message(chat.messages, sender, chat.tenant, body["body"])
        return common.entity(f"chats('{chat.id}')/messages", self.message_json(entity, chat=chat), status=201)
