"""vCard and iCalendar renderings of Outlook contacts, appointments and tasks.

The rendering is wrapped in an RFC 5322 message (summary text plus a ``text/vcard`` or
``text/calendar`` part, header ``X-Kustos-Item-Kind``) so that the archive can store,
index and show these items with the same pipeline as mail.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .mime_build import Address, Attachment, MapiContent, build_message


@dataclass
class ContactCard:
    full_name: str = ""
    given: str = ""
    surname: str = ""
    middle: str = ""
    company: str = ""
    title: str = ""
    department: str = ""
    emails: list[str] = field(default_factory=list)
    phones: list[tuple[str, str]] = field(default_factory=list)  # (type, number)
    addresses: list[tuple[str, str]] = field(default_factory=list)  # (type, one-line address)
    members: list[str] = field(default_factory=list)  # distribution list members
    birthday: datetime | None = None
    note: str = ""


@dataclass
class CalendarEntry:
    kind: str  # "appointment" or "task"
    summary: str = ""
    start: datetime | None = None
    end: datetime | None = None  # appointment end, or task due date
    location: str = ""
    description: str = ""
    organizer: Address | None = None
    attendees: list[Address] = field(default_factory=list)
    created: datetime | None = None
    complete: bool | None = None
    uid: str = ""


def _esc(value: str) -> str:
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 6350 / RFC 5545), never inside a character."""
    out, current = [], ""
    for char in line:
        if len((current + char).encode("utf-8")) > 75:
            out.append(current)
            current = " " + char
        else:
            current += char
    out.append(current)
    return "\r\n".join(out)


def _lines(lines: list[str]) -> bytes:
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode("utf-8")


def _stamp(value: datetime) -> str:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def vcard(card: ContactCard) -> bytes:
    """A vCard 3.0 rendering (RFC 2426) of ``card``."""
    name = card.full_name or " ".join(p for p in (card.given, card.surname) if p) or "(no name)"
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"FN:{_esc(name)}"]
    lines.append("N:" + ";".join(_esc(p) for p in (card.surname, card.given, card.middle, "", "")))
    if card.members:
        lines.append("X-ADDRESSBOOKSERVER-KIND:group")
        lines.extend(f"X-ADDRESSBOOKSERVER-MEMBER:{_esc(m)}" for m in card.members)
    if card.company or card.department:
        lines.append("ORG:" + ";".join(_esc(p) for p in (card.company, card.department) if p))
    if card.title:
        lines.append(f"TITLE:{_esc(card.title)}")
    lines.extend(f"EMAIL;TYPE=INTERNET:{_esc(e)}" for e in card.emails)
    lines.extend(f"TEL;TYPE={kind.upper()}:{_esc(n)}" for kind, n in card.phones)
    lines.extend(f"LABEL;TYPE={kind.upper()}:{_esc(a)}" for kind, a in card.addresses)
    if card.birthday:
        lines.append(f"BDAY:{card.birthday.date().isoformat()}")
    if card.note:
        lines.append(f"NOTE:{_esc(card.note)}")
    lines.append("END:VCARD")
    return _lines(lines)


def icalendar(entry: CalendarEntry, fallback_uid: str) -> bytes:
    """An iCalendar (RFC 5545) VEVENT or VTODO for ``entry``."""
    component = "VTODO" if entry.kind == "task" else "VEVENT"
    uid = entry.uid or hashlib.sha256(fallback_uid.encode()).hexdigest()[:32] + "@kustos-import"
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Kustos//Outlook import//EN", f"BEGIN:{component}"]
    lines.append(f"UID:{_esc(uid)}")
    lines.append(f"DTSTAMP:{_stamp(entry.created or entry.start or datetime(1970, 1, 1, tzinfo=UTC))}")
    if entry.summary:
        lines.append(f"SUMMARY:{_esc(entry.summary)}")
    if entry.start:
        lines.append(f"DTSTART:{_stamp(entry.start)}")
    if entry.end:
        lines.append(f"{'DUE' if entry.kind == 'task' else 'DTEND'}:{_stamp(entry.end)}")
    if entry.location:
        lines.append(f"LOCATION:{_esc(entry.location)}")
    if entry.description:
        lines.append(f"DESCRIPTION:{_esc(entry.description)}")
    if entry.organizer:
        lines.append(f"ORGANIZER;CN={_esc(entry.organizer[0])}:mailto:{entry.organizer[1]}")
    lines.extend(f"ATTENDEE;CN={_esc(n)}:mailto:{a}" for n, a in entry.attendees)
    if entry.kind == "task" and entry.complete is not None:
        lines.append(f"STATUS:{'COMPLETED' if entry.complete else 'NEEDS-ACTION'}")
    lines += [f"END:{component}", "END:VCALENDAR"]
    return _lines(lines)


def contact_message(card: ContactCard, created: datetime | None, attachments: list[Attachment]) -> bytes:
    """The RFC 5322 wrapper for a contact: summary text plus the vCard."""
    name = card.full_name or " ".join(p for p in (card.given, card.surname) if p) or "(no name)"
    summary = [name, card.title, card.company, *card.emails, *(f"{k}: {n}" for k, n in card.phones)]
    summary += [a for _, a in card.addresses] + card.members + ([card.note] if card.note else [])
    data = vcard(card)
    content = MapiContent(
        subject=name,
        date=created,
        plain="\n".join(s for s in summary if s),
        attachments=[Attachment(data, "contact.vcf", "text/vcard"), *attachments],
        extra_headers=[("X-Kustos-Item-Kind", "contact")],
    )
    return build_message(content)


def calendar_message(entry: CalendarEntry, fallback_uid: str, attachments: list[Attachment]) -> bytes:
    """The RFC 5322 wrapper for an appointment or task: summary text plus the iCalendar."""
    when = " – ".join(_stamp(t) for t in (entry.start, entry.end) if t)
    summary = [entry.summary, when, entry.location, entry.description]
    name = "task.ics" if entry.kind == "task" else "appointment.ics"
    content = MapiContent(
        subject=entry.summary,
        sender=entry.organizer,
        to=entry.attendees,
        date=entry.created or entry.start,
        plain="\n".join(s for s in summary if s),
        attachments=[Attachment(icalendar(entry, fallback_uid), name, "text/calendar"), *attachments],
        extra_headers=[("X-Kustos-Item-Kind", entry.kind)],
    )
    return build_message(content)
