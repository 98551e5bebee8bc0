"""Convert one pypff item (message, contact, appointment, task) into RFC 5322 bytes."""

from __future__ import annotations

import codecs
from datetime import datetime
from typing import Any

from .mime_build import Address, Attachment, MapiContent, build_message
from .pst_props import PSETID_ADDRESS, PSETID_APPOINTMENT, PSETID_TASK, NameMap, Props, strip_subject_prefix
from .render import CalendarEntry, ContactCard, calendar_message, contact_message

# Embedded messages nest; beyond this depth they are attached as opaque data.
MAX_DEPTH = 8
ATTACH_BY_VALUE, ATTACH_EMBEDDED_MSG, ATTACH_OLE = 1, 5, 6

_PHONES = ((0x3A08, "work"), (0x3A09, "home"), (0x3A1C, "cell"), (0x3A24, "fax"), (0x3A1A, "voice"))
_ADDRESSES = (
    ("work", (0x3A29, 0x3A27, 0x3A28, 0x3A2A, 0x3A26)),
    ("home", (0x3A5D, 0x3A59, 0x3A5C, 0x3A5B, 0x3A5A)),
)


def item_kind(message_class: str) -> str:
    """Map an Outlook message class to an ImportItem kind."""
    cls = message_class.lower()
    if cls.startswith(("ipm.contact", "ipm.distlist")):
        return "contact"
    if cls.startswith("ipm.appointment"):
        return "appointment"
    if cls.startswith("ipm.task") and not cls.startswith("ipm.taskrequest"):
        return "task"
    if cls.startswith("ipm.stickynote"):
        return "note"
    if cls.startswith("ipm.activity"):
        return "journal"
    return "message"


def _codepage_charset(codepage: int | None) -> str | None:
    if not codepage:
        return None
    try:
        return codecs.lookup(f"cp{codepage}").name
    except LookupError:
        return {65001: "utf-8", 28591: "iso-8859-1", 20127: "us-ascii", 50220: "iso-2022-jp"}.get(codepage)


def _smtp(props: Props, smtp_tag: int, addr_tag: int, type_tag: int) -> str:
    address = props.text(smtp_tag)
    if address:
        return address
    if props.text(type_tag).upper() in ("SMTP", ""):
        candidate = props.text(addr_tag)
        return candidate if "@" in candidate else ""
    return ""


def _recipients(item: Any) -> dict[int, list[Address]]:
    out: dict[int, list[Address]] = {1: [], 2: [], 3: []}
    try:
        table = item.recipients
        count = table.number_of_record_sets if table is not None else 0
    except OSError:
        return out
    for index in range(count):
        props = Props(table, record_set=index)
        kind = props.integer(0x0C15) or 1
        address = _smtp(props, 0x39FE, 0x3003, 0x3002)
        if not address:
            search_key = props.data(0x300B).rstrip(b"\x00").decode("ascii", "replace")
            address = search_key[5:].lower() if search_key.upper().startswith("SMTP:") else ""
        out.setdefault(kind & 0x0F, []).append((props.text(0x3001), address))
    return out


def _decode_plain(data: bytes | None, charset: str | None) -> str | None:
    if not data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode(charset or "windows-1252", "replace")


def _body_bytes(item: Any, attribute: str) -> bytes | None:
    try:
        value = getattr(item, attribute)
    except OSError:
        return None
    return bytes(value) if value else None


def _attachments(item: Any, names: NameMap, depth: int) -> list[Attachment]:
    found: list[Attachment] = []
    for index in range(item.number_of_attachments):
        try:
            att = item.get_attachment(index)
        except OSError:
            continue
        props = Props(att)
        method = props.integer(0x3705) or ATTACH_BY_VALUE
        filename = props.text(0x3707) or props.text(0x3704) or props.text(0x3001) or None
        if method == ATTACH_EMBEDDED_MSG and depth < MAX_DEPTH and att.number_of_sub_items:
            try:
                embedded = message_bytes(att.get_sub_item(0), names, depth + 1)
            except OSError:
                embedded = None
            if embedded is not None:
                found.append(Attachment(embedded, filename, "message/rfc822", is_message=True))
                continue
        try:
            data = att.read_buffer(att.size) if att.size else props.data(0x3701)
        except OSError:
            data = props.data(0x3701)
        flags = props.integer(0x3714) or 0
        found.append(
            Attachment(
                data=bytes(data or b""),
                filename=filename,
                mime_type=props.text(0x370E) or "application/octet-stream",
                content_id=props.text(0x3712) or None,
                inline=bool(flags & 0x4) or bool(props.boolean(0x7FFE)),
            )
        )
    return found


def message_content(item: Any, names: NameMap, depth: int = 0) -> MapiContent:
    """Headers, bodies and attachments of a mail item."""
    props = Props(item, names)
    try:
        headers = item.transport_headers
    except OSError:
        headers = None
    recipients = _recipients(item)
    sender_address = _smtp(props, 0x5D01, 0x0C1F, 0x0C1E) or _smtp(props, 0x5D02, 0x0065, 0x0064)
    sender_name = props.text(0x0C1A) or props.text(0x0042)
    charset = _codepage_charset(props.integer(0x3FDE))
    return MapiContent(
        transport_headers=headers or None,
        subject=strip_subject_prefix(props.text(0x0037)),
        sender=(sender_name, sender_address) if (sender_name or sender_address) else None,
        to=recipients.get(1, []),
        cc=recipients.get(2, []),
        bcc=recipients.get(3, []),
        date=props.time(0x0039) or props.time(0x0E06) or props.time(0x3007),
        message_id=props.text(0x1035) or None,
        in_reply_to=props.text(0x1042) or None,
        plain=_decode_plain(_body_bytes(item, "plain_text_body"), charset),
        html=_body_bytes(item, "html_body"),
        html_charset=charset,
        rtf=_body_bytes(item, "rtf_body"),
        attachments=_attachments(item, names, depth),
    )


def message_bytes(item: Any, names: NameMap, depth: int = 0) -> bytes:
    return build_message(message_content(item, names, depth))


def flags(item: Any) -> list[str]:
    """IMAP-style flags from PR_MESSAGE_FLAGS, PR_FLAG_STATUS and PR_LAST_VERB_EXECUTED."""
    props = Props(item)
    out = []
    bits = props.integer(0x0E07) or 0
    if bits & 0x1:
        out.append("\\Seen")
    if bits & 0x8:
        out.append("\\Draft")
    if props.integer(0x1090) == 2:
        out.append("\\Flagged")
    verb = props.integer(0x1081)
    if verb in (102, 103):
        out.append("\\Answered")
    elif verb == 104:
        out.append("$Forwarded")
    return out


def received(item: Any) -> datetime | None:
    props = Props(item)
    return props.time(0x0E06) or props.time(0x0039)


def contact_bytes(item: Any, names: NameMap) -> bytes:
    props = Props(item, names)
    emails = [props.text(props.named(PSETID_ADDRESS, lid)) for lid in (0x8083, 0x8093, 0x80A3)]
    card = ContactCard(
        full_name=props.text(0x3001) or strip_subject_prefix(props.text(0x0037)),
        given=props.text(0x3A06),
        surname=props.text(0x3A11),
        middle=props.text(0x3A44),
        company=props.text(0x3A16),
        title=props.text(0x3A17),
        department=props.text(0x3A18),
        emails=[e for e in emails if e],
        phones=[(kind, props.text(tag)) for tag, kind in _PHONES if props.text(tag)],
        addresses=[
            (kind, ", ".join(p for p in (props.text(t) for t in tags) if p))
            for kind, tags in _ADDRESSES
            if any(props.text(t) for t in tags)
        ],
        birthday=props.time(0x3A42),
        note=_decode_plain(_body_bytes(item, "plain_text_body"), None) or "",
    )
    return contact_message(card, props.time(0x3007), _attachments(item, names, 0))


def calendar_bytes(item: Any, names: NameMap, kind: str, fallback_uid: str) -> bytes:
    props = Props(item, names)
    if kind == "task":
        start = props.time(props.named(PSETID_TASK, 0x8104))
        end = props.time(props.named(PSETID_TASK, 0x8105))
        location = ""
        complete = props.boolean(props.named(PSETID_TASK, 0x811C))
    else:
        start = props.time(props.named(PSETID_APPOINTMENT, 0x820D)) or props.time(0x0060)
        end = props.time(props.named(PSETID_APPOINTMENT, 0x820E)) or props.time(0x0061)
        location = props.text(props.named(PSETID_APPOINTMENT, 0x8208))
        complete = None
    content = message_content(item, names)
    entry = CalendarEntry(
        kind=kind,
        summary=content.subject or "",
        start=start,
        end=end,
        location=location,
        description=content.plain or "",
        organizer=content.sender if content.sender and content.sender[1] else None,
        attendees=[a for a in content.to + content.cc if a[1]],
        created=props.time(0x3007),
        complete=complete,
    )
    return calendar_message(entry, fallback_uid, content.attachments)


def salvage(item: Any) -> bytes:
    """Whatever raw content of a damaged item can still be read: headers and plain body."""
    parts: list[bytes] = []
    for attribute in ("transport_headers", "plain_text_body"):
        try:
            value = getattr(item, attribute)
        except Exception:  # the item is already known to be damaged
            continue
        if isinstance(value, str):
            parts.append(value.encode("utf-8", "surrogateescape"))
        elif value:
            parts.append(bytes(value))
    return b"\r\n\r\n".join(parts)
