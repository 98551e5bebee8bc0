"""Write mail, events, contacts and To Do tasks back into a mailbox (the restore side of ``mail.py``
and ``pim.py``).

Mail: the stored MIME, base64 in a ``POST /users/{id}/mailFolders/{folder}/messages`` with
``Content-Type: text/plain`` (Graph keeps the MIME as sent, so the restored message is byte-identical);
the folder is found by its display-name path and created level by level when missing; a backed-up
flag, categories and read state are set afterwards with a ``PATCH`` (they are not part of the MIME). Events,
contacts and tasks: the stored Graph JSON minus the read-only properties, posted into the calendar,
contact folder or To Do list of the same name (the default one when there is none of that name; a
missing To Do list is created).

These items have no natural key a restore could match by name, so "conflict" means: the backed-up
item (the same Graph id) still exists in the target mailbox. ``skip`` and ``replace`` leave it as it
is (skipped: Graph cannot overwrite a message's MIME, and an existing item is never duplicated),
``copy`` creates the restored item next to it. Into another mailbox there is never a conflict.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from kustos.sources.base import ConnectorError
from kustos.sources.graph.backup.restore_files import RESTORED, SKIPPED
from kustos.sources.graph.backup.restore_http import all_rows, check_conflict, get_or_none, send_json
from kustos.sources.graph.backup.session import GraphSession
from kustos.sources.graph.folders import walk_folders

# Properties Graph sets itself (refused or ignored on create), per item kind.
READ_ONLY_COMMON = frozenset({"id", "createdDateTime", "lastModifiedDateTime", "changeKey", "parentFolderId"})
READ_ONLY = {
    "event": READ_ONLY_COMMON | {"iCalUId", "webLink", "isOrganizer", "responseStatus", "seriesMasterId", "type",
                                 "originalStart", "originalStartTimeZone", "originalEndTimeZone", "hasAttachments",
                                 "onlineMeeting", "attachments", "calendar", "instances", "exceptionOccurrences",
                                 "cancelledOccurrences", "occurrenceId", "uid"},
    "contact": READ_ONLY_COMMON | {"photo", "extensions", "multiValueExtendedProperties",
                                   "singleValueExtendedProperties"},
    "task": READ_ONLY_COMMON | {"linkedResources", "checklistItems", "attachments", "attachmentSessions",
                                "extensions"},
}
ATTACHMENT_READ_ONLY = frozenset({"id", "lastModifiedDateTime", "@odata.mediaContentType"})


def writable(kind: str, entity: Mapping[str, Any]) -> dict[str, Any]:
    """The entity without read-only properties and ``@odata.*`` annotations (``@odata.type`` kept)."""
    drop = READ_ONLY[kind]
    return {k: v for k, v in entity.items()
            if k not in drop and (not k.startswith("@odata.") or k == "@odata.type")}


def mail_state(meta: Mapping[str, Any]) -> dict[str, Any]:
    """What a restored message gets besides its MIME: the backed-up flag, categories and read state,
    where they differ from a new message's."""
    state: dict[str, Any] = {}
    flag = meta.get("flag")
    if isinstance(flag, Mapping) and flag.get("flagStatus") not in (None, "notFlagged"):
        state["flag"] = {k: v for k, v in flag.items() if not k.startswith("@odata.")}
    if meta.get("categories"):
        state["categories"] = list(meta["categories"])
    if meta.get("isRead"):
        state["isRead"] = True
    return state


def _leaf_container(path: str) -> str:
    """The container (folder, calendar, list) part of an item path ``Container/…/item``."""
    return path.strip("/").rpartition("/")[0]


class ItemRestorer:
    """Mail, events, contacts and tasks into ``/users/{user}``."""

    def __init__(self, session: GraphSession) -> None:
        self.session = session
        self.http = session.http
        self._mail_folders: dict[str, dict[str, str]] = {}  # user -> folder path -> id
        self._containers: dict[tuple[str, str, str], str] = {}  # (user, kind, name) -> container id

    # --- helpers ----------------------------------------------------------------------------
    def _post(self, url: str, user: str, body: object) -> dict[str, Any]:
        return send_json(self.http, "POST", url, user, body)

    def _exists(self, url: str, user: str) -> bool:
        return get_or_none(self.http, url, user) is not None

    def _conflicts(self, conflict: str, same_account: bool, url: str | None, user: str) -> bool:
        check_conflict(conflict)
        return conflict != "copy" and same_account and url is not None and self._exists(url, user)

    def _list(self, url: str, user: str) -> list[dict[str, Any]]:
        return all_rows(self.http, url, user)

    # --- mail -------------------------------------------------------------------------------
    def mail_folder(self, user: str, path: str) -> str:
        """The id of the mail folder at display-name path ``path``, created level by level."""
        folders = self._mail_folders.get(user)
        if folders is None:
            folders = {f.path.lower(): f.id for f in walk_folders(
                lambda url: self.http.get_json(url, key=user), self.session.base, user)}
            self._mail_folders[user] = folders
        path = path.strip("/") or "Inbox"
        found = folders.get(path.lower())
        if found is not None:
            return found
        parent, _, name = path.rpartition("/")
        url = (self.session.user_url(user, f"/mailFolders/{quote(self.mail_folder(user, parent), safe='')}"
                                           "/childFolders") if parent else self.session.user_url(user, "/mailFolders"))
        row = self._post(url, user, {"displayName": name})
        folders[path.lower()] = str(row["id"])
        return folders[path.lower()]

    def mail(self, user: str, path: str, mime: bytes, meta: Mapping[str, Any], *, same_account: bool,
             conflict: str) -> str:
        original = meta.get("id")
        check = (self.session.user_url(user, f"/messages/{quote(str(original), safe='')}/$value")
                 if original else None)
        if self._conflicts(conflict, same_account, check, user):
            return SKIPPED
        folder = self.mail_folder(user, _leaf_container(path))
        url = self.session.user_url(user, f"/mailFolders/{quote(folder, safe='')}/messages")
        response = self.http.request("POST", url, key=user, content=base64.b64encode(mime),
                                     headers={"Content-Type": "text/plain"})
        created = self.http.expect(response, (200, 201)).json()
        state = mail_state(meta)
        if state:  # the flag, categories and read state are not in the MIME
            message_url = self.session.user_url(user, f"/messages/{quote(str(created['id']), safe='')}")
            send_json(self.http, "PATCH", message_url, user, state, (200,))
        return RESTORED

    # --- events, contacts, tasks --------------------------------------------------------------
    def _container(self, user: str, kind: str, name: str) -> str | None:
        key = (user, kind, name.lower())
        if key in self._containers:
            return self._containers[key]
        listing = {"event": ("/calendars", "name"), "contact": ("/contactFolders", "displayName"),
                   "task": ("/todo/lists", "displayName")}[kind]
        found = None
        for row in self._list(self.session.user_url(user, listing[0]), user):
            if str(row.get(listing[1]) or "").lower() == name.lower():
                found = str(row["id"])
                break
        if found is None and kind == "task":
            found = str(self._post(self.session.user_url(user, "/todo/lists"), user, {"displayName": name})["id"])
        if found is not None:
            self._containers[key] = found
        return found

    def entity(self, user: str, kind: str, path: str, data: bytes, meta: Mapping[str, Any], *,
               same_account: bool, conflict: str) -> str:
        """An event, contact or task from its stored Graph JSON."""
        if kind not in READ_ONLY:
            raise ValueError(f"items of kind {kind!r} cannot be restored into a mailbox")
        try:
            entity = json.loads(data)
        except ValueError:
            raise ConnectorError(f"the stored {kind} is not JSON") from None
        container_name = _leaf_container(path) or {"event": "Calendar", "contact": "Contacts",
                                                    "task": "Tasks"}[kind]
        container = self._container(user, kind, container_name)
        original = quote(str(entity.get("id") or ""), safe="")
        source_container = quote(str(meta.get("container_id") or ""), safe="")
        if kind == "event":
            check = self.session.user_url(user, f"/events/{original}")
            url = self.session.user_url(user, f"/calendars/{quote(container, safe='')}/events" if container
                                        else "/events")
        elif kind == "contact":
            check = self.session.user_url(user, f"/contacts/{original}")
            url = self.session.user_url(user, f"/contactFolders/{quote(container, safe='')}/contacts"
                                        if container else "/contacts")
        else:
            check = self.session.user_url(user, f"/todo/lists/{source_container}/tasks/{original}")
            url = self.session.user_url(user, f"/todo/lists/{quote(str(container), safe='')}/tasks")
        if self._conflicts(conflict, same_account, check if original else None, user):
            return SKIPPED
        created = self._post(url, user, writable(kind, entity))
        if kind == "event":
            event = quote(str(created["id"]), safe="")
            for attachment in entity.get("attachments") or []:
                body = {k: v for k, v in attachment.items()
                        if k not in ATTACHMENT_READ_ONLY and (not k.startswith("@odata.") or k == "@odata.type")}
                body.setdefault("@odata.type", "#microsoft.graph.fileAttachment")
                self._post(self.session.user_url(user, f"/events/{event}/attachments"), user, body)
        return RESTORED
