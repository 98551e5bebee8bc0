"""Outlook calendars, contacts and Microsoft To Do for ``/users/{id}/...``.

Served: ``calendars``, ``calendar``, ``events`` (+ ``attachments``), ``calendarView/delta``
(``startDateTime``/``endDateTime`` window, as v1.0 documents it), ``contactFolders``,
``contactFolders/{id}/contacts/delta`` and ``contacts/delta`` (default folder),
``todo/lists``, ``todo/lists/{id}/tasks/delta``; and the creations a restore needs
(event, attachment, contact, To Do list and task).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from fakecloud.microsoft import common
from fakecloud.microsoft.common import Workload
from fakecloud.microsoft.errors import graph_error
from fakecloud.microsoft.feed import Entity, Feed, now_iso
from fakecloud.microsoft.models import Folder, Pim
from fakecloud.microsoft.pim_formats import ics_from_event, vcf_from_contact
from fakecloud.microsoft.store import IssuedToken, User
from fakecloud.tokens import new_id
from fakecloud.web import Request, Response, Router

USER = r"/users/(?P<user>[^/]+)"
CAL = USER + r"/calendars/(?P<folder>[^/]+)"
EVENT = USER + r"/events/(?P<item>[^/]+)"
CFOLDER = USER + r"/contactFolders/(?P<folder>[^/]+)"
TLIST = USER + r"/todo/lists/(?P<folder>[^/]+)"
CAL_READ, CAL_WRITE = {"Calendars.Read", "Calendars.ReadWrite"}, {"Calendars.ReadWrite"}
CON_READ, CON_WRITE = {"Contacts.Read", "Contacts.ReadWrite"}, {"Contacts.ReadWrite"}
TASK_READ, TASK_WRITE = {"Tasks.Read.All", "Tasks.ReadWrite.All"}, {"Tasks.ReadWrite.All"}
EVENT_KEYS = {"subject", "body", "start", "end", "location", "isAllDay", "iCalUId", "recurrence", "attendees",
              "categories", "importance", "sensitivity", "showAs", "isReminderOn", "reminderMinutesBeforeStart"}
CONTACT_KEYS = {"displayName", "givenName", "surname", "fileAs", "emailAddresses", "businessPhones", "companyName",
                "jobTitle", "personalNotes", "mobilePhone", "homePhones", "birthday", "middleName", "nickName",
                "department", "officeLocation", "categories", "homeAddress", "businessAddress"}
TASK_KEYS = {"title", "body", "status", "importance", "dueDateTime", "completedDateTime", "categories",
             "isReminderOn", "reminderDateTime", "recurrence", "startDateTime"}


def new_entity(feed: Feed, props: dict[str, Any], content: bytes, owner: str) -> Entity:
    now = now_iso()
    entity = Entity("AAMk" + new_id(36), dict(props), content, owner)
    entity.extra.update({"created": now, "modified": now, "change_key": new_id(12), "attachments": []})
    feed.put(entity.id, entity)
    return entity


def event_json(entity: Entity, organizer: User | None = None) -> dict[str, Any]:
    p, x = entity.props, entity.extra
    body = p.get("body") or {"contentType": "text", "content": ""}
    row: dict[str, Any] = {
        "@odata.etag": f'W/"{x["change_key"]}"', "id": entity.id, "createdDateTime": x["created"],
        "lastModifiedDateTime": x["modified"], "changeKey": x["change_key"], "categories": p.get("categories", []),
        "transactionId": None, "originalStartTimeZone": "UTC", "originalEndTimeZone": "UTC",
        "iCalUId": p.get("iCalUId") or "040000008200E00074C5B7101A82E008" + entity.id[-16:],
        "reminderMinutesBeforeStart": p.get("reminderMinutesBeforeStart", 15),
        "isReminderOn": p.get("isReminderOn", True), "hasAttachments": bool(x["attachments"]),
        "subject": p.get("subject", ""), "bodyPreview": " ".join(str(body.get("content", "")).split())[:255],
        "importance": p.get("importance", "normal"), "sensitivity": p.get("sensitivity", "normal"),
        "isAllDay": bool(p.get("isAllDay")), "isCancelled": False, "isOrganizer": True,
        "responseRequested": True, "seriesMasterId": None, "showAs": p.get("showAs", "busy"),
        "type": "seriesMaster" if p.get("recurrence") else "singleInstance",
        "webLink": f"https://outlook.office365.com/owa/?itemid={entity.id}&exvsurl=1&path=/calendar/item",
        "onlineMeetingUrl": None, "isOnlineMeeting": False, "onlineMeetingProvider": "unknown",
        "allowNewTimeProposals": True, "isDraft": False, "hideAttendees": False,
        "responseStatus": {"response": "organizer", "time": "0001-01-01T00:00:00Z"},
        "body": body, "start": p["start"], "end": p["end"], "location": p.get("location") or {"displayName": ""},
        "locations": [], "recurrence": p.get("recurrence"), "attendees": p.get("attendees", []),
        "organizer": {"emailAddress": {"name": organizer.display_name if organizer else "",
                                       "address": organizer.upn if organizer else ""}},
    }
    return row


def contact_json(entity: Entity, folder: Folder) -> dict[str, Any]:
    x = entity.extra
    row: dict[str, Any] = {"@odata.etag": f'W/"{x["change_key"]}"', "id": entity.id, "createdDateTime": x["created"],
                           "lastModifiedDateTime": x["modified"], "changeKey": x["change_key"], "categories": [],
                           "parentFolderId": folder.id, "birthday": None, "fileAs": "", "displayName": "",
                           "givenName": None, "surname": None, "jobTitle": None, "companyName": None,
                           "emailAddresses": [], "businessPhones": [], "homePhones": [], "mobilePhone": None,
                           "personalNotes": "", "initials": None, "middleName": None, "nickName": None, "title": None,
                           "generation": None, "imAddresses": [], "department": None, "officeLocation": None,
                           "profession": None, "businessHomePage": None, "assistantName": None, "manager": None,
                           "spouseName": None, "children": [], "homeAddress": {}, "businessAddress": {},
                           "otherAddress": {}}
    row.update({k: v for k, v in entity.props.items() if k in CONTACT_KEYS})
    return row


def task_json(entity: Entity) -> dict[str, Any]:
    x = entity.extra
    row: dict[str, Any] = {"@odata.etag": f'W/"{x["change_key"]}"', "id": entity.id, "title": "",
                           "status": "notStarted", "importance": "normal", "isReminderOn": False,
                           "createdDateTime": x["created"], "lastModifiedDateTime": x["modified"],
                           "bodyLastModifiedDateTime": x["modified"], "hasAttachments": False, "categories": [],
                           "body": {"content": "", "contentType": "text"}}
    row.update({k: v for k, v in entity.props.items() if k in TASK_KEYS})
    return row


def attachment_json(attachment: dict[str, Any]) -> dict[str, Any]:
    return {"@odata.type": "#microsoft.graph.fileAttachment", "id": attachment["id"], "name": attachment["name"],
            "contentType": attachment["contentType"], "size": len(base64.b64decode(attachment["contentBytes"])),
            "isInline": False, "lastModifiedDateTime": attachment["modified"],
            "contentBytes": attachment["contentBytes"]}


def new_attachment(entity: Entity, name: str, content_type: str, content_b64: str) -> dict[str, Any]:
    attachment = {"id": "AAMk" + new_id(30), "name": name, "contentType": content_type,
                  "contentBytes": content_b64, "modified": now_iso()}
    entity.extra["attachments"].append(attachment)
    return attachment


class PimService(Workload):
    denied_code = "ErrorAccessDenied"
    denied_message = "Access is denied. Check credentials and try again."

    def register(self, router: Router) -> None:
        r = self.route
        r(router, "GET", USER + r"/calendars", self.calendars, roles=CAL_READ | CAL_WRITE)
        r(router, "GET", CAL, self.calendar, roles=CAL_READ | CAL_WRITE)
        r(router, "GET", USER + r"/calendar", self.calendar, roles=CAL_READ | CAL_WRITE)
        r(router, "GET", USER + r"/events", self.events, roles=CAL_READ | CAL_WRITE)
        r(router, "GET", CAL + r"/events", self.events, roles=CAL_READ | CAL_WRITE)
        r(router, "GET", EVENT, self.event, roles=CAL_READ | CAL_WRITE)
        r(router, "GET", USER + r"/calendarView/delta", self.calendar_delta, roles=CAL_READ | CAL_WRITE)
        r(router, "GET", CAL + r"/calendarView/delta", self.calendar_delta, roles=CAL_READ | CAL_WRITE)
        r(router, "GET", EVENT + r"/attachments", self.attachments, roles=CAL_READ | CAL_WRITE)
        r(router, "POST", USER + r"/events", self.create_event, roles=CAL_WRITE)
        r(router, "POST", USER + r"/calendar/events", self.create_event, roles=CAL_WRITE)
        r(router, "POST", CAL + r"/events", self.create_event, roles=CAL_WRITE)
        r(router, "POST", EVENT + r"/attachments", self.create_attachment, roles=CAL_WRITE)
        r(router, "GET", USER + r"/contactFolders", self.contact_folders, roles=CON_READ | CON_WRITE)
        r(router, "GET", CFOLDER, self.contact_folder, roles=CON_READ | CON_WRITE)
        r(router, "GET", CFOLDER + r"/contacts", self.contacts, roles=CON_READ | CON_WRITE)
        r(router, "GET", USER + r"/contacts", self.contacts, roles=CON_READ | CON_WRITE)
        r(router, "GET", CFOLDER + r"/contacts/delta", self.contacts_delta, roles=CON_READ | CON_WRITE)
        r(router, "GET", USER + r"/contacts/delta", self.contacts_delta, roles=CON_READ | CON_WRITE)
        r(router, "GET", USER + r"/contacts/(?P<item>[^/]+)", self.contact, roles=CON_READ | CON_WRITE)
        r(router, "POST", USER + r"/contacts", self.create_contact, roles=CON_WRITE)
        r(router, "POST", CFOLDER + r"/contacts", self.create_contact, roles=CON_WRITE)
        r(router, "GET", USER + r"/todo/lists", self.todo_lists, roles=TASK_READ | TASK_WRITE)
        r(router, "GET", TLIST, self.todo_list, roles=TASK_READ | TASK_WRITE)
        r(router, "GET", TLIST + r"/tasks", self.tasks, roles=TASK_READ | TASK_WRITE)
        r(router, "GET", TLIST + r"/tasks/delta", self.tasks_delta, roles=TASK_READ | TASK_WRITE)
        r(router, "GET", TLIST + r"/tasks/(?P<item>[^/]+)", self.task, roles=TASK_READ | TASK_WRITE)
        r(router, "POST", USER + r"/todo/lists", self.create_todo_list, roles=TASK_WRITE)
        r(router, "POST", TLIST + r"/tasks", self.create_task, roles=TASK_WRITE)

    # --- lookups --------------------------------------------------------------------------
    def _pim(self, request: Request, issued: IssuedToken) -> tuple[User, Pim] | Response:
        user = self.store.user(issued.tenant, request.params["user"])
        if user is None:
            return graph_error(404, "ErrorInvalidUser", f"The requested user '{request.params['user']}' is invalid.")
        pim = self.store.user_pim(issued.tenant, user)
        if pim is None:
            return graph_error(404, "MailboxNotEnabledForRESTAPI",
                               "The mailbox is either inactive, soft-deleted, or is hosted on-premise.")
        return user, pim

    def _folder(self, request: Request, issued: IssuedToken, group: str,
                default: str) -> tuple[User, Pim, Folder] | Response:
        found = self._pim(request, issued)
        if isinstance(found, Response):
            return found
        user, pim = found
        folder = Pim.find(getattr(pim, group), request.params.get("folder", default))
        if folder is None:
            return graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        return user, pim, folder

    def _item(self, request: Request, issued: IssuedToken, group: str) -> tuple[User, Folder, Entity] | Response:
        found = self._pim(request, issued)
        if isinstance(found, Response):
            return found
        owner = Pim.owner_of(getattr(found[1], group), request.params["item"])
        if owner is None:
            return graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        return found[0], owner[0], owner[1]

    @staticmethod
    def _removed(kind: str) -> Any:
        return lambda item_id: {"@odata.type": f"#microsoft.graph.{kind}", "id": item_id,
                                "@removed": {"reason": "deleted"}}

    # --- calendars ----------------------------------------------------------------------------
    def calendar_json(self, user: User, folder: Folder) -> dict[str, Any]:
        default = folder.well_known == "calendar"
        return {"id": folder.id, "name": folder.name, "color": "auto", "hexColor": "", "isDefaultCalendar": default,
                "changeKey": folder.change_key, "canShare": True, "canViewPrivateItems": True, "canEdit": True,
                "allowedOnlineMeetingProviders": ["teamsForBusiness"],
                "defaultOnlineMeetingProvider": "teamsForBusiness", "isTallyingResponses": True,
                "isRemovable": not default, "owner": {"name": user.display_name, "address": user.upn}}

    def calendars(self, request: Request, issued: IssuedToken) -> Response:
        found = self._pim(request, issued)
        if isinstance(found, Response):
            return found
        user, pim = found
        rows = [self.calendar_json(user, f) for f in pim.calendars.values()]
        return common.collection(request, f"users('{user.id}')/calendars", rows, default_size=10)

    def calendar(self, request: Request, issued: IssuedToken) -> Response:
        found = self._folder(request, issued, "calendars", "calendar")
        if isinstance(found, Response):
            return found
        return common.entity(f"users('{found[0].id}')/calendars", self.calendar_json(found[0], found[2]), request)

    def events(self, request: Request, issued: IssuedToken) -> Response:
        found = self._pim(request, issued)
        if isinstance(found, Response):
            return found
        user, pim = found
        folders = list(pim.calendars.values())
        if "folder" in request.params:
            one = Pim.find(pim.calendars, request.params["folder"])
            if one is None:
                return graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
            folders = [one]
        rows = [event_json(e, user) for f in folders for e in f.feed.items.values()]
        return common.collection(request, f"users('{user.id}')/events", rows, default_size=10)

    def event(self, request: Request, issued: IssuedToken) -> Response:
        found = self._item(request, issued, "calendars")
        if isinstance(found, Response):
            return found
        return common.entity(f"users('{found[0].id}')/events", event_json(found[2], found[0]), request)

    def calendar_delta(self, request: Request, issued: IssuedToken) -> Response:
        found = self._folder(request, issued, "calendars", "calendar")
        if isinstance(found, Response):
            return found
        user, _pim, folder = found
        lower = {k.lower(): v[0] for k, v in request.query.items()}
        start, end = lower.get("startdatetime"), lower.get("enddatetime")
        if not (start and end) and not (request.arg("$deltatoken") or request.arg("$skiptoken")):
            return graph_error(400, "ErrorInvalidParameter", "This request requires a time window specified by the "
                               "query string parameters StartDateTime and EndDateTime.")

        def in_window(entity: Entity) -> bool:
            if not (start and end):
                return True
            first, last = entity.props["start"]["dateTime"][:19], entity.props["end"]["dateTime"][:19]
            return first <= end[:19] and (last >= start[:19] or bool(entity.props.get("recurrence")))

        return common.delta(request, folder.feed, "Collection(event)", lambda e: event_json(e, user),
                            self._removed("event"), default_size=10, keep=in_window)

    def attachments(self, request: Request, issued: IssuedToken) -> Response:
        found = self._item(request, issued, "calendars")
        if isinstance(found, Response):
            return found
        user, _folder, entity = found
        rows = [attachment_json(a) for a in entity.extra["attachments"]]
        return common.collection(request, f"users('{user.id}')/events('{entity.id}')/attachments", rows)

    def create_event(self, request: Request, issued: IssuedToken) -> Response:
        found = self._folder(request, issued, "calendars", "calendar")
        if isinstance(found, Response):
            return found
        user, _pim, folder = found
        body = request.json()
        if not isinstance(body, dict) or not isinstance(body.get("start"), dict) or not isinstance(body.get("end"),
                                                                                                   dict):
            return graph_error(400, "ErrorInvalidRequest", "An event needs start and end.")
        props = {k: v for k, v in body.items() if k in EVENT_KEYS}
        entity = new_entity(folder.feed, props, ics_from_event(props), user.upn)
        return common.entity(f"users('{user.id}')/events", event_json(entity, user), status=201)

    def create_attachment(self, request: Request, issued: IssuedToken) -> Response:
        found = self._item(request, issued, "calendars")
        if isinstance(found, Response):
            return found
        user, folder, entity = found
        body = request.json()
        if not isinstance(body, dict) or not body.get("name") or not isinstance(body.get("contentBytes"), str):
            return graph_error(400, "ErrorInvalidRequest", "A file attachment needs name and contentBytes.")
        attachment = new_attachment(entity, body["name"], body.get("contentType", "application/octet-stream"),
                                    body["contentBytes"])
        folder.feed.touch(entity.id)
        return common.entity(f"users('{user.id}')/events('{entity.id}')/attachments", attachment_json(attachment),
                             status=201)

    # --- contacts -----------------------------------------------------------------------------
    def folder_json(self, folder: Folder) -> dict[str, Any]:
        return {"id": folder.id, "displayName": folder.name, "parentFolderId": "AQMkADIxYjJiYgEzLTFmNjYALgAAAw=="}

    def contact_folders(self, request: Request, issued: IssuedToken) -> Response:
        found = self._pim(request, issued)
        if isinstance(found, Response):
            return found
        rows = [self.folder_json(f) for f in found[1].contact_folders.values()]
        return common.collection(request, f"users('{found[0].id}')/contactFolders", rows, default_size=10)

    def contact_folder(self, request: Request, issued: IssuedToken) -> Response:
        found = self._folder(request, issued, "contact_folders", "contacts")
        if isinstance(found, Response):
            return found
        return common.entity(f"users('{found[0].id}')/contactFolders", self.folder_json(found[2]), request)

    def contacts(self, request: Request, issued: IssuedToken) -> Response:
        found = self._folder(request, issued, "contact_folders", "contacts")
        if isinstance(found, Response):
            return found
        user, _pim, folder = found
        rows = [contact_json(e, folder) for e in folder.feed.items.values()]
        return common.collection(request, f"users('{user.id}')/contacts", rows, default_size=10)

    def contacts_delta(self, request: Request, issued: IssuedToken) -> Response:
        found = self._folder(request, issued, "contact_folders", "contacts")
        if isinstance(found, Response):
            return found
        folder = found[2]
        return common.delta(request, folder.feed, "Collection(contact)", lambda e: contact_json(e, folder),
                            self._removed("contact"), default_size=10)

    def contact(self, request: Request, issued: IssuedToken) -> Response:
        found = self._item(request, issued, "contact_folders")
        if isinstance(found, Response):
            return found
        return common.entity(f"users('{found[0].id}')/contacts", contact_json(found[2], found[1]), request)

    def create_contact(self, request: Request, issued: IssuedToken) -> Response:
        found = self._folder(request, issued, "contact_folders", "contacts")
        if isinstance(found, Response):
            return found
        user, _pim, folder = found
        body = request.json()
        if not isinstance(body, dict):
            return graph_error(400, "ErrorInvalidRequest", "The contact must be a JSON object.")
        props = {k: v for k, v in body.items() if k in CONTACT_KEYS}
        entity = new_entity(folder.feed, props, vcf_from_contact(props), user.upn)
        return common.entity(f"users('{user.id}')/contacts", contact_json(entity, folder), status=201)

    # --- To Do ------------------------------------------------------------------------------------
    def list_json(self, folder: Folder) -> dict[str, Any]:
        return {"@odata.type": "#microsoft.graph.todoTaskList", "@odata.etag": f'W/"{folder.change_key}"',
                "id": folder.id, "displayName": folder.name, "isOwner": True, "isShared": False,
                "wellknownListName": folder.well_known or "none"}

    def todo_lists(self, request: Request, issued: IssuedToken) -> Response:
        found = self._pim(request, issued)
        if isinstance(found, Response):
            return found
        rows = [self.list_json(f) for f in found[1].todo_lists.values()]
        return common.collection(request, f"users('{found[0].id}')/todo/lists", rows, default_size=100)

    def todo_list(self, request: Request, issued: IssuedToken) -> Response:
        found = self._folder(request, issued, "todo_lists", "defaultList")
        if isinstance(found, Response):
            return found
        return common.entity(f"users('{found[0].id}')/todo/lists", self.list_json(found[2]), request)

    def tasks(self, request: Request, issued: IssuedToken) -> Response:
        found = self._folder(request, issued, "todo_lists", "defaultList")
        if isinstance(found, Response):
            return found
        rows = [task_json(e) for e in found[2].feed.items.values()]
        return common.collection(request, f"users('{found[0].id}')/todo/lists('{found[2].id}')/tasks", rows,
                                 default_size=100)

    def tasks_delta(self, request: Request, issued: IssuedToken) -> Response:
        found = self._folder(request, issued, "todo_lists", "defaultList")
        if isinstance(found, Response):
            return found
        return common.delta(request, found[2].feed, "Collection(todoTask)", task_json, self._removed("todoTask"),
                            default_size=100)

    def task(self, request: Request, issued: IssuedToken) -> Response:
        found = self._folder(request, issued, "todo_lists", "defaultList")
        if isinstance(found, Response):
            return found
        entity = found[2].feed.items.get(request.params["item"])
        if entity is None:
            return graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        return common.entity(f"users('{found[0].id}')/todo/lists('{found[2].id}')/tasks", task_json(entity), request)

    def create_todo_list(self, request: Request, issued: IssuedToken) -> Response:
        found = self._pim(request, issued)
        if isinstance(found, Response):
            return found
        body = request.json()
        if not isinstance(body, dict) or not body.get("displayName"):
            return graph_error(400, "invalidRequest", "A list needs a displayName.")
        folder = Folder("AAMk" + new_id(30), str(body["displayName"]))
        found[1].todo_lists[folder.id] = folder
        return common.entity(f"users('{found[0].id}')/todo/lists", self.list_json(folder), status=201)

    def create_task(self, request: Request, issued: IssuedToken) -> Response:
        found = self._folder(request, issued, "todo_lists", "defaultList")
        if isinstance(found, Response):
            return found
        user, _pim, folder = found
        body = request.json()
        if not isinstance(body, dict) or not body.get("title"):
            return graph_error(400, "invalidRequest", "A task needs a title.")
        props = {k: v for k, v in body.items() if k in TASK_KEYS}
        entity = new_entity(folder.feed, props, json.dumps(props, sort_keys=True).encode(), user.upn)
        return common.entity(f"users('{user.id}')/todo/lists('{folder.id}')/tasks", task_json(entity), status=201)
