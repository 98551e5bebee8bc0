"""Convert an extract-msg object (an opened Outlook .msg) into RFC 5322 bytes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parseaddr
from typing import Any, TypeVar

from .mime_build import Address, Attachment, MapiContent, build_message
from .pst_convert import MAX_DEPTH, item_kind
from .render import CalendarEntry, ContactCard, calendar_message, contact_message

T = TypeVar("T")
_ATTACHMENT_DATA, _ATTACHMENT_MSG = 0, 1


def safe(getter: Callable[[], T], default: T) -> T:
    """extract-msg parses hostile input lazily; any property may raise. Fall back then."""
    try:
        value = getter()
    except Exception:  # a damaged property must not lose the rest of the item
        return default
    return default if value is None else value


def attr(obj: Any, name: str, default: T) -> T:
    """``obj.name`` read through :func:`safe`."""
    return safe(lambda: getattr(obj, name), default)


def _clean(value: Any) -> str:
    return str(value).replace("\x00", "").strip() if value is not None else ""


def aware(value: Any) -> datetime | None:
    """A timezone-aware datetime, or None for missing values and MAPI's 1601 "no date"."""
    if not isinstance(value, datetime) or value.year < 1900:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def message_class(msg: Any) -> str:
    return _clean(safe(lambda: msg.classType, "IPM.Note")) or "IPM.Note"


def _recipients(msg: Any) -> dict[int, list[Address]]:
    out: dict[int, list[Address]] = {1: [], 2: [], 3: []}
    recipients: list[Any] = safe(lambda: list(msg.recipients), [])
    for rec in recipients:
        kind = int(attr(rec, "type", 1))
        name, email = _clean(attr(rec, "name", "")), _clean(attr(rec, "email", ""))
        out.setdefault(kind, []).append((name if name != email else "", email if "@" in email else ""))
    return out


def _attachments(msg: Any, depth: int) -> list[Attachment]:
    found: list[Attachment] = []
    attachments: list[Any] = safe(lambda: list(msg.attachments), [])
    for att in attachments:
        kind = int(attr(att, "type", _ATTACHMENT_DATA))
        name = _clean(attr(att, "longFilename", "")) or _clean(attr(att, "shortFilename", ""))
        data: Any = attr(att, "data", b"")
        if kind == _ATTACHMENT_MSG and depth < MAX_DEPTH and not isinstance(data, bytes | bytearray):
            found.append(
                Attachment(msg_bytes(data, depth + 1), name or None, "message/rfc822", is_message=True)
            )
            continue
        if not isinstance(data, bytes | bytearray):
            continue  # web references and unsupported kinds carry no bytes
        found.append(
            Attachment(
                data=bytes(data),
                filename=name or None,
                mime_type=_clean(attr(att, "mimetype", "")) or "application/octet-stream",
                content_id=_clean(attr(att, "contentId", "")) or None,
                inline=bool(attr(att, "hidden", False)),
            )
        )
    return found


def content(msg: Any, depth: int = 0) -> MapiContent:
    headers = safe(lambda: msg.headerText, None)
    recipients = _recipients(msg)
    sender_name, sender_addr = parseaddr(_clean(safe(lambda: msg.sender, "")))
    codepage = safe(lambda: msg.getPropertyVal("3FDE0003"), 0)
    charset = {65001: "utf-8", 28591: "iso-8859-1", 20127: "us-ascii"}.get(codepage) or (
        f"windows-{codepage}" if codepage else None
    )
    html, charset = _stored_html(msg, charset)
    rtf = safe(lambda: msg.rtfBody, None)
    body = safe(lambda: msg.body, None)
    return MapiContent(
        transport_headers=headers if isinstance(headers, str) and headers.strip() else None,
        subject=_clean(safe(lambda: msg.subject, "")),
        sender=(sender_name, sender_addr) if (sender_name or sender_addr) else None,
        to=recipients.get(1, []),
        cc=recipients.get(2, []),
        bcc=recipients.get(3, []),
        date=aware(safe(lambda: msg.date, None)),
        message_id=_clean(safe(lambda: msg.messageId, "")) or None,
        in_reply_to=_clean(safe(lambda: msg.inReplyTo, "")) or None,
        plain=body.replace("\x00", "") if isinstance(body, str) else None,
        html=bytes(html) if isinstance(html, bytes | bytearray) else None,
        html_charset=charset,
        rtf=bytes(rtf) if isinstance(rtf, bytes | bytearray) else None,
        attachments=_attachments(msg, depth),
    )


def _stored_html(msg: Any, charset: str | None) -> tuple[bytes | None, str | None]:
    """The HTML body as stored (PR_HTML), never one derived from RTF.

    extract-msg's ``htmlBody`` de-encapsulates RTF when no HTML is stored, which takes
    seconds on ordinary messages and is unbounded on hostile ones; the RTF itself is
    kept as a text/rtf part instead (and the original .msg is archived beside).
    """
    binary = safe(lambda: msg.getStream("__substg1.0_10130102"), None)
    if isinstance(binary, bytes | bytearray) and binary:
        return bytes(binary), charset
    text = safe(lambda: msg.getStringStream("__substg1.0_1013"), None)
    if isinstance(text, str) and text:
        return text.encode("utf-8"), "utf-8"
    return None, charset


def msg_bytes(msg: Any, depth: int = 0) -> bytes:
    """RFC 5322 bytes for any opened .msg: mail, or a contact/appointment/task rendering."""
    kind = item_kind(message_class(msg))
    if kind == "contact":
        return _contact(msg)
    if kind in ("appointment", "task"):
        return _calendar(msg, kind)
    return build_message(content(msg, depth))


def _text(msg: Any, name: str) -> str:
    return _clean(safe(lambda: getattr(msg, name), ""))


def _contact(msg: Any) -> bytes:
    emails = [_text(msg, f"email{n}EmailAddress") for n in (1, 2, 3)]
    phones = (
        ("work", "businessTelephoneNumber"),
        ("home", "homeTelephoneNumber"),
        ("cell", "mobileTelephoneNumber"),
    )
    addresses = (("work", "workAddress"), ("home", "homeAddress"), ("other", "otherAddress"))
    card = ContactCard(
        full_name=_text(msg, "displayName") or _text(msg, "subject"),
        given=_text(msg, "givenName"),
        surname=_text(msg, "surname"),
        middle=_text(msg, "middleName"),
        company=_text(msg, "companyName"),
        title=_text(msg, "jobTitle"),
        department=_text(msg, "departmentName"),
        emails=[e for e in emails if e],
        phones=[(kind, _text(msg, attr)) for kind, attr in phones if _text(msg, attr)],
        addresses=[
            (kind, " ".join(_text(msg, attr).split())) for kind, attr in addresses if _text(msg, attr)
        ],
        birthday=aware(safe(lambda: msg.birthday, None)),
        note=_text(msg, "body"),
    )
    return contact_message(card, aware(safe(lambda: msg.creationTime, None)), _attachments(msg, 0))


def _calendar(msg: Any, kind: str) -> bytes:
    base = content(msg)
    if kind == "task":
        start = aware(safe(lambda: msg.taskStartDate, None))
        end = aware(safe(lambda: msg.taskDueDate, None))
        complete: bool | None = bool(safe(lambda: msg.taskComplete, False))
    else:
        start = aware(safe(lambda: msg.appointmentStartWhole, None))
        end = aware(safe(lambda: msg.appointmentEndWhole, None))
        complete = None
    entry = CalendarEntry(
        kind=kind,
        summary=base.subject or "",
        start=start,
        end=end,
        location=_text(msg, "location"),
        description=base.plain or "",
        organizer=base.sender if base.sender and base.sender[1] else None,
        attendees=[a for a in base.to + base.cc if a[1]],
        created=aware(safe(lambda: msg.creationTime, None)),
        complete=complete,
    )
    return calendar_message(entry, base.subject or kind, base.attachments)
