"""Creating mail for restore: ``POST /users/{id}/messages`` and ``.../mailFolders/{id}/messages``.

As documented for "Create message": a JSON message, or MIME content base64-encoded
with ``Content-Type: text/plain`` (kept byte for byte, so ``$value`` returns exactly
what was sent). ``POST /users/{id}/messages`` creates in Drafts; ``.../move`` with
``destinationId`` moves (the message gets a new id, as in Exchange); ``PATCH /users/{id}/messages/{id}``
changes ``flag``, ``categories``, ``isRead`` and ``singleValueExtendedProperties`` (a new changeKey; the
message shows up in the delta). Of the extended properties, PR_MESSAGE_DELIVERY_TIME (``SystemTime
0x0E06``) becomes ``receivedDateTime`` and the read bit of PR_MESSAGE_FLAGS (``Integer 0x0E07``)
``isRead``, in a PATCH and in a JSON create.

Folders: ``POST /users/{id}/mailFolders`` (a top-level folder) and
``POST /users/{id}/mailFolders/{id}/childFolders`` with ``displayName`` (and ``isHidden``): 201 with
the mailFolder; a name already used under the same parent is 409 ``ErrorFolderExists``.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

from fakecloud.microsoft import common
from fakecloud.microsoft.common import Workload
from fakecloud.microsoft.errors import graph_error
from fakecloud.microsoft.shapes import folder_json, message_json
from fakecloud.microsoft.store import IssuedToken, Message
from fakecloud.tokens import new_id
from fakecloud.web import Request, Response, Router

USER = r"/users/(?P<user>[^/]+)"
DELIVERY_TIME = "systemtime 0x0e06"  # PR_MESSAGE_DELIVERY_TIME
MESSAGE_FLAGS = "integer 0x0e07"  # PR_MESSAGE_FLAGS


def mime_from_json(body: dict[str, Any]) -> bytes:
    message = EmailMessage()
    sender = ((body.get("from") or {}).get("emailAddress") or {}).get("address")
    if sender:
        message["From"] = sender
    recipients = [r["emailAddress"]["address"] for r in body.get("toRecipients") or []]
    if recipients:
        message["To"] = ", ".join(recipients)
    message["Subject"] = str(body.get("subject") or "")
    content = body.get("body") or {}
    message.set_content(str(content.get("content", "")),
                        subtype="html" if content.get("contentType", "").lower() == "html" else "plain")
    return message.as_bytes()


def apply_extended_properties(message: Message | None, props: Any) -> str:
    """Apply the single-value extended properties Exchange maps onto what Graph shows: the delivery
    time PR_MESSAGE_DELIVERY_TIME (``SystemTime 0x0E06``, shown as ``receivedDateTime``) and the read
    bit of PR_MESSAGE_FLAGS (``Integer 0x0E07``, shown as ``isRead``); other ids are kept by Exchange
    but not shown, so they are accepted and ignored. Returns a problem text, or "" (``message`` None:
    only check)."""
    if props is None:
        return ""
    if not isinstance(props, list) or not all(isinstance(p, dict) and "id" in p and "value" in p for p in props):
        return "singleValueExtendedProperties must be a list of {id, value} objects."
    for prop in props:
        prop_id = " ".join(str(prop["id"]).split()).lower()
        value = str(prop["value"])
        if prop_id == DELIVERY_TIME:
            try:
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return f"Invalid SystemTime value {value!r}."
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            if message is not None:
                message.received = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        elif prop_id == MESSAGE_FLAGS:
            if not value.lstrip("-").isdigit():
                return f"Invalid Integer value {value!r}."
            if message is not None:
                message.is_read = bool(int(value) & 1)  # MSGFLAG_READ
    return ""


class MailWriteService(Workload):
    write_roles = frozenset({"Mail.ReadWrite"})
    denied_code = "ErrorAccessDenied"
    denied_message = "Access is denied. Check credentials and try again."

    def register(self, router: Router) -> None:
        self.route(router, "POST", USER + r"/messages", self.create, write=True)
        self.route(router, "POST", USER + r"/mailFolders/(?P<folder>[^/]+)/messages", self.create, write=True)
        self.route(router, "POST", USER + r"/messages/(?P<message>[^/]+)/move", self.move, write=True)
        self.route(router, "PATCH", USER + r"/messages/(?P<message>[^/]+)", self.update, write=True)
        self.route(router, "POST", USER + r"/mailFolders", self.create_folder, write=True)
        self.route(router, "POST", USER + r"/mailFolders/(?P<folder>[^/]+)/childFolders", self.create_folder,
                   write=True)

    def update(self, request: Request, issued: IssuedToken) -> Response:
        user = self.store.user(issued.tenant, request.params["user"])
        message = user.messages.get(request.params["message"]) if user is not None and user.mail else None
        if user is None or message is None:
            return graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        body = request.json()
        if not isinstance(body, dict):
            return common.bad_request("The message must be a JSON object.", "ErrorInvalidRequest")
        if "flag" in body:
            if not isinstance(body["flag"], dict) or body["flag"].get("flagStatus") not in (
                    None, "notFlagged", "complete", "flagged"):
                return common.bad_request("Invalid followupFlag.", "ErrorInvalidRequest")
            message.flag = {"flagStatus": "notFlagged", **body["flag"]}
        if "categories" in body:
            message.categories = [str(c) for c in body["categories"] or []]
        problem = apply_extended_properties(message, body.get("singleValueExtendedProperties"))
        if problem:
            return common.bad_request(problem, "ErrorInvalidExtendedPropertyValue")
        if "isRead" in body:
            message.is_read = bool(body["isRead"])
        message.change_key = new_id(9)
        user.append(message.folder_id, message.id, "update")
        return common.entity(f"users('{user.id}')/messages", message_json(message, None))

    def create_folder(self, request: Request, issued: IssuedToken) -> Response:
        user = self.store.user(issued.tenant, request.params["user"])
        if user is None or user.mail is None:
            return graph_error(404, "ErrorInvalidUser", f"The requested user '{request.params['user']}' is invalid.")
        parent = self.store.folder(user, request.params["folder"]) if "folder" in request.params else \
            user.folders[user.root_id]
        if parent is None:
            return graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        body = request.json()
        name = str(body.get("displayName") or "").strip() if isinstance(body, dict) else ""
        if not name:
            return common.bad_request("The folder needs a displayName.", "ErrorInvalidRequest")
        if any(f.parent_id == parent.id and f.display_name.lower() == name.lower() for f in user.folders.values()):
            return graph_error(409, "ErrorFolderExists", "A folder with the specified name already exists.")
        folder_id = self.store.add_folder(issued.tenant, user.id, name, parent.id)
        folder = user.folders[folder_id]
        folder.hidden = bool(body.get("isHidden"))
        kind = "childFolders" if "folder" in request.params else "mailFolders"
        return common.entity(f"users('{user.id}')/{kind}", folder_json(user, folder), status=201)

    def create(self, request: Request, issued: IssuedToken) -> Response:
        user = self.store.user(issued.tenant, request.params["user"])
        if user is None or user.mail is None:
            return graph_error(404, "ErrorInvalidUser", f"The requested user '{request.params['user']}' is invalid.")
        folder = self.store.folder(user, request.params.get("folder", "drafts"))
        if folder is None:
            return graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        if request.headers.get("content-type", "").lower().startswith("text/plain"):
            try:
                mime = base64.b64decode(request.body, validate=True)
            except (binascii.Error, ValueError):
                return graph_error(400, "ErrorMimeContentInvalidBase64String",
                                   "Invalid base64 string for MIME content.")
        else:
            body = request.json()
            if not isinstance(body, dict):
                return common.bad_request("The message must be a JSON object.", "ErrorInvalidRequest")
            mime = mime_from_json(body)
            problem = apply_extended_properties(None, body.get("singleValueExtendedProperties"))
            if problem:
                return common.bad_request(problem, "ErrorInvalidExtendedPropertyValue")
        message_id = self.store.add_message(issued.tenant, user.id, folder.id, mime)
        if not request.headers.get("content-type", "").lower().startswith("text/plain"):
            apply_extended_properties(user.messages[message_id], body.get("singleValueExtendedProperties"))
        return common.entity(f"users('{user.id}')/messages", message_json(user.messages[message_id], None),
                             status=201)

    def move(self, request: Request, issued: IssuedToken) -> Response:
        user = self.store.user(issued.tenant, request.params["user"])
        if user is None or user.mail is None or request.params["message"] not in user.messages:
            return graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        body = request.json()
        target = self.store.folder(user, str(body.get("destinationId", ""))) if isinstance(body, dict) else None
        if target is None:
            return graph_error(400, "ErrorInvalidIdMalformed", "Id is malformed.")
        moved = self.store.move_message(issued.tenant, user.id, request.params["message"], target.id)
        return common.entity(f"users('{user.id}')/messages", message_json(user.messages[moved], None), status=201)
