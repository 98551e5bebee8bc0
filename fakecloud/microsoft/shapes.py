"""JSON shapes of Graph resources (property names as in the v1.0 CSDL)."""

from __future__ import annotations

from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from email.utils import parseaddr
from typing import Any

from fakecloud.microsoft.store import Folder, Message, User

ODATA = "https://graph.microsoft.com/v1.0/$metadata"


def user_json(user: User) -> dict[str, Any]:
    return {
        "accountEnabled": user.account_enabled,
        "businessPhones": [],
        "displayName": user.display_name,
        "givenName": user.display_name.split(" ")[0],
        "jobTitle": None,
        "mail": user.mail,
        "mobilePhone": None,
        "officeLocation": None,
        "preferredLanguage": "en-US",
        "surname": None,
        "userPrincipalName": user.upn,
        "id": user.id,
    }


def folder_json(user: User, folder: Folder) -> dict[str, Any]:
    children = [f for f in user.folders.values() if f.parent_id == folder.id]
    contained = [m for m in user.messages.values() if m.folder_id == folder.id]
    return {
        "id": folder.id,
        "displayName": folder.display_name,
        "parentFolderId": folder.parent_id,
        "childFolderCount": len(children),
        "unreadItemCount": len(contained),
        "totalItemCount": len(contained),
        "isHidden": folder.hidden,
    }


def _address(value: str) -> dict[str, Any]:
    name, address = parseaddr(value)
    return {"emailAddress": {"name": name or address, "address": address}}


def _body(mime: bytes) -> tuple[str, str]:
    """(contentType, content) of the message's preferred body; empty text for broken MIME."""
    try:
        parsed = message_from_bytes(mime, policy=default)
        part = parsed.get_body(("html", "plain")) if isinstance(parsed, EmailMessage) else None
        if part is None:
            return "text", ""
        content = part.get_content()
        return ("html" if part.get_content_subtype() == "html" else "text"), str(content)
    except Exception:  # noqa: BLE001 - real-world MIME is often broken; Graph still answers
        return "text", ""


def message_json(message: Message, select: list[str] | None) -> dict[str, Any]:
    content_type, content = _body(message.mime) if not select or "body" in select else ("text", "")
    preview = " ".join(content.split()) if content_type == "text" else ""
    full: dict[str, Any] = {
        "@odata.type": "#microsoft.graph.message",
        "@odata.etag": f'W/"{message.change_key}"',
        "createdDateTime": message.received,
        "lastModifiedDateTime": message.received,
        "changeKey": message.change_key,
        "categories": list(message.categories),
        "receivedDateTime": message.received,
        "sentDateTime": message.received,
        "hasAttachments": b"Content-Disposition: attachment" in message.mime,
        "internetMessageId": message.internet_message_id,
        "subject": message.subject,
        "bodyPreview": preview[:255],
        "body": {"contentType": content_type, "content": content},
        "importance": "normal",
        "parentFolderId": message.folder_id,
        "isRead": message.is_read,
        "isDraft": False,
        "flag": dict(message.flag),
        "from": _address(message.sender),
        "sender": _address(message.sender),
        "id": message.id,
    }
    if not select:
        return full
    keep = {"@odata.type", "@odata.etag", "id", *select}
    return {k: v for k, v in full.items() if k in keep}


def removed_json(message_id: str) -> dict[str, Any]:
    return {"@odata.type": "#microsoft.graph.message", "id": message_id, "@removed": {"reason": "deleted"}}
