"""One Microsoft 365 group post as one RFC 5322 message, the same bytes on every run.

Graph serves a group mailbox as conversations → threads → posts (JSON), not as MIME. Each post
becomes a message:

* ``From`` = the post's ``from``; ``Sender`` = its ``sender`` when that differs;
* ``To`` = the group's address (the group's display name as the phrase); ``Cc`` = the post's
  ``newParticipants`` (recipients the post added to the conversation);
* ``Date`` = ``receivedDateTime``; ``Subject`` = the thread's topic;
* ``Message-ID`` = derived from the post id alone (``<sha256(post id)[:32].post@<group domain>>``),
  so the same post always gets the same id; ``In-Reply-To`` = the id of the post it answers
  (``inReplyTo``), ``References`` = the thread's first post then that post;
* ``X-MS-Graph-Group-Id`` / ``-Conversation-Id`` / ``-Thread-Id`` / ``-Post-Id`` name the origin;
* the body as ``text/html`` (or ``text/plain`` for ``contentType`` text); file attachments
  (``fileAttachment`` with ``contentBytes``) as parts with their name, type and, for inline ones,
  their ``Content-ID``. Other attachment types (item, reference) and file attachments without
  readable ``contentBytes`` are listed in ``X-Kustos-Skipped-Attachment`` headers by name and type,
  never silently dropped.

Determinism: no clock, no random boundary (the boundary is derived from the post id), headers in a
fixed order, CRLF line ends. Framework-free.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from typing import Any

from kustos.sources import mailfacts

POLICY = SMTP.clone(max_line_length=78)
FILE_ATTACHMENT = "#microsoft.graph.fileAttachment"


class PostFormatError(ValueError):
    """A post that cannot be written as a message (no id, no receivedDateTime)."""


@dataclass(frozen=True)
class GroupInfo:
    """The group whose mailbox the post belongs to."""

    id: str
    address: str
    name: str = ""

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2] or "groups.invalid"


def message_id_for(post_id: str, domain: str) -> str:
    """The Message-ID of a post: stable for the post id, unique per post."""
    return f"<{hashlib.sha256(post_id.encode('utf-8')).hexdigest()[:32]}.post@{domain}>"


def _address(recipient: Any) -> Address | None:
    """A Graph ``recipient`` (``{"emailAddress": {"name", "address"}}``) as a header address."""
    email = (recipient or {}).get("emailAddress") if isinstance(recipient, Mapping) else None
    if not isinstance(email, Mapping):
        return None
    address = str(email.get("address") or "").strip()
    name = str(email.get("name") or "").strip()
    if not address or "@" not in address:
        return Address(display_name=name or address or "unknown", addr_spec="unknown@invalid") if (
            name or address) else None
    local, _, domain = address.rpartition("@")
    try:
        return Address(display_name=name if name != address else "", username=local, domain=domain)
    except (ValueError, IndexError):
        return Address(display_name=name or address, addr_spec="unknown@invalid")


def _attachment_bytes(attachment: Mapping[str, Any]) -> bytes | None:
    raw = attachment.get("contentBytes")
    if not isinstance(raw, str):
        return None
    try:
        return base64.b64decode(raw, validate=False)
    except (binascii.Error, ValueError):
        return None


def post_to_mime(post: Mapping[str, Any], *, group: GroupInfo, topic: str, thread_root: str | None = None,
                 attachments: Sequence[Mapping[str, Any]] = ()) -> bytes:
    """The RFC 5322 bytes of ``post`` (a Graph ``post`` resource, optionally with ``inReplyTo``
    expanded); ``thread_root`` is the id of the thread's first post (for References),
    ``attachments`` the post's attachment resources with ``contentBytes``."""
    post_id = str(post.get("id") or "")
    received = mailfacts.parse(post.get("receivedDateTime"))
    if not post_id or received is None:
        raise PostFormatError("a group post without id or receivedDateTime cannot be archived")
    msg = EmailMessage(policy=POLICY)
    sender = _address(post.get("from")) or _address(post.get("sender"))
    if sender is not None:
        msg["From"] = sender
    other_sender = _address(post.get("sender"))
    if other_sender is not None and sender is not None and other_sender.addr_spec != sender.addr_spec:
        msg["Sender"] = other_sender
    local, _, domain = group.address.rpartition("@")
    msg["To"] = Address(display_name=group.name, username=local, domain=domain) if local else group.address
    participants = [a for a in (_address(p) for p in post.get("newParticipants") or []) if a is not None]
    if participants:
        msg["Cc"] = participants
    msg["Subject"] = topic
    msg["Date"] = format_datetime(received)
    msg["Message-ID"] = message_id_for(post_id, group.domain)
    parent = post.get("inReplyTo")
    parent_id = str(parent.get("id")) if isinstance(parent, Mapping) and parent.get("id") else ""
    references = [message_id_for(x, group.domain) for x in dict.fromkeys(
        x for x in (thread_root, parent_id) if x and x != post_id)]
    if parent_id:
        msg["In-Reply-To"] = message_id_for(parent_id, group.domain)
    if references:
        msg["References"] = " ".join(references)
    msg["X-MS-Graph-Group-Id"] = group.id
    for header, key in (("X-MS-Graph-Conversation-Id", "conversationId"),
                        ("X-MS-Graph-Thread-Id", "conversationThreadId")):
        if post.get(key):
            msg[header] = str(post[key])
    msg["X-MS-Graph-Post-Id"] = post_id
    skipped = [a for a in attachments if a.get("@odata.type", FILE_ATTACHMENT) != FILE_ATTACHMENT
               or _attachment_bytes(a) is None]
    for attachment in skipped:
        kind = str(attachment.get("@odata.type") or "unknown").removeprefix("#microsoft.graph.")
        msg["X-Kustos-Skipped-Attachment"] = f"{attachment.get('name') or 'unnamed'} ({kind})"
    raw_body = post.get("body")
    body: Mapping[str, Any] = raw_body if isinstance(raw_body, Mapping) else {}
    text = str(body.get("content") or "")
    subtype = "plain" if str(body.get("contentType") or "html").lower() == "text" else "html"
    msg.set_content(text, subtype=subtype, charset="utf-8")
    files = [a for a in attachments if a not in skipped]
    for attachment in files:
        data = _attachment_bytes(attachment) or b""
        maintype, _, subtype_ = str(attachment.get("contentType") or "application/octet-stream").partition("/")
        if not maintype or not subtype_ or maintype == "multipart":
            maintype, subtype_ = "application", "octet-stream"
        inline = bool(attachment.get("isInline"))
        msg.add_attachment(data, maintype=maintype, subtype=subtype_.split(";")[0].strip(),
                           filename=str(attachment.get("name") or "attachment"),
                           disposition="inline" if inline else "attachment",
                           cid=f"<{attachment['contentId']}>" if inline and attachment.get("contentId") else None)
    if files:
        msg.set_boundary(f"=_kustos_post_{hashlib.sha256(post_id.encode('utf-8')).hexdigest()[:24]}")
    return msg.as_bytes(policy=POLICY)
