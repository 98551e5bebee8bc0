"""Downloads render Graph entities stored as canonical JSON into their natural formats: an event
(recurrence, attendees, file attachments) as iCalendar (RFC 5545), a contact as vCard 3.0 (RFC 2426).
Content that is not a JSON object (a connector that stores ICS/VCF already) is handed back as is.
Teams messages and To Do tasks stay JSON and get a readable HTML page next to it (``COMPANIONS``;
message HTML without scripts, frames or event handlers). Framework-free."""

from __future__ import annotations

import html
import json
import re
from datetime import datetime
from typing import Any

from kustos.backup.formats_google import event_ics, is_google_event, is_google_person, person_vcf
from kustos.backup.ical_text import esc as _esc
from kustos.backup.ical_text import lines as _lines

_DAYS = {"sunday": "SU", "monday": "MO", "tuesday": "TU", "wednesday": "WE", "thursday": "TH", "friday": "FR",
         "saturday": "SA"}
_WEEK_INDEX = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}


def _entity(data: bytes) -> dict[str, Any] | None:
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None
    return doc if isinstance(doc, dict) else None


def _basic(value: str, date_only: bool = False) -> str:
    """``2026-06-01T10:00:00.0000000`` → ``20260601T100000`` (or ``20260601``)."""
    digits = re.sub(r"[^0-9T]", "", value.split(".")[0].replace("Z", ""))
    return digits[:8] if date_only else (digits + "000000")[:15] if "T" in digits else digits[:8] + "T000000"


def _when(name: str, value: dict[str, Any] | None, all_day: bool) -> str | None:
    if not value or not value.get("dateTime"):
        return None
    if all_day:
        return f"{name};VALUE=DATE:{_basic(value['dateTime'], True)}"
    zone = str(value.get("timeZone") or "UTC")
    if zone.upper() in ("UTC", "Z", "GMT"):
        return f"{name}:{_basic(value['dateTime'])}Z"
    return f"{name};TZID={_esc(zone)}:{_basic(value['dateTime'])}"


def _rrule(recurrence: dict[str, Any] | None) -> str | None:
    if not recurrence or not recurrence.get("pattern"):
        return None
    p, r = recurrence["pattern"], recurrence.get("range") or {}
    kind = str(p.get("type", ""))
    freq = {"daily": "DAILY", "weekly": "WEEKLY", "absoluteMonthly": "MONTHLY", "relativeMonthly": "MONTHLY",
            "absoluteYearly": "YEARLY", "relativeYearly": "YEARLY"}.get(kind)
    if freq is None:
        return None
    parts = [f"FREQ={freq}", f"INTERVAL={int(p.get('interval') or 1)}"]
    days = [_DAYS[d.lower()] for d in p.get("daysOfWeek") or [] if d.lower() in _DAYS]
    if kind.startswith("relative") and days:
        index = _WEEK_INDEX.get(str(p.get("index", "first")), 1)
        parts.append("BYDAY=" + ",".join(f"{index}{d}" for d in days))
    elif days:
        parts.append("BYDAY=" + ",".join(days))
    if kind in ("absoluteMonthly", "absoluteYearly") and p.get("dayOfMonth"):
        parts.append(f"BYMONTHDAY={int(p['dayOfMonth'])}")
    if kind.endswith("Yearly") and p.get("month"):
        parts.append(f"BYMONTH={int(p['month'])}")
    if r.get("type") == "endDate" and r.get("endDate"):
        parts.append(f"UNTIL={_basic(str(r['endDate']), True)}")
    elif r.get("type") == "numbered" and r.get("numberOfOccurrences"):
        parts.append(f"COUNT={int(r['numberOfOccurrences'])}")
    return "RRULE:" + ";".join(parts)


def _person(prop: str, who: dict[str, Any] | None, extra: str = "") -> str | None:
    address = ((who or {}).get("emailAddress") or {})
    if not address.get("address"):
        return None
    name = f";CN={_quote(address['name'])}" if address.get("name") else ""
    return f"{prop}{name}{extra}:mailto:{address['address']}"


def _quote(value: Any) -> str:
    return '"' + str(value).replace('"', "'") + '"'


def _text(body: dict[str, Any] | None) -> str:
    if not body or not body.get("content"):
        return ""
    content = str(body["content"])
    if str(body.get("contentType", "")).lower() == "html":
        content = re.sub(r"<[^>]+>", " ", re.sub(r"(?is)<(script|style).*?</\1>", "", content))
        content = re.sub(r"[ \t]+", " ", content).strip()
    return content


def ics(data: bytes) -> bytes:
    event = _entity(data)
    if event is None:
        return data
    if is_google_event(event):  # Google Calendar JSON (Google Workspace backup)
        return event_ics(event)
    all_day = bool(event.get("isAllDay"))
    stamp = _basic(str(event.get("lastModifiedDateTime") or event.get("createdDateTime") or "19700101T000000"))
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Kustos//Backup//EN", "BEGIN:VEVENT",
             f"UID:{_esc(event.get('iCalUId') or event.get('id') or 'kustos-event')}", f"DTSTAMP:{stamp}Z"]
    for line in (_when("DTSTART", event.get("start"), all_day), _when("DTEND", event.get("end"), all_day),
                 _rrule(event.get("recurrence"))):
        if line:
            lines.append(line)
    if event.get("subject"):
        lines.append(f"SUMMARY:{_esc(event['subject'])}")
    description = _text(event.get("body"))
    if description:
        lines.append(f"DESCRIPTION:{_esc(description)}")
    location = (event.get("location") or {}).get("displayName")
    if location:
        lines.append(f"LOCATION:{_esc(location)}")
    if event.get("categories"):
        lines.append("CATEGORIES:" + ",".join(_esc(c) for c in event["categories"]))
    if event.get("sensitivity") in ("private", "confidential"):
        lines.append(f"CLASS:{str(event['sensitivity']).upper()}")
    if event.get("showAs") == "free":
        lines.append("TRANSP:TRANSPARENT")
    organizer = _person("ORGANIZER", event.get("organizer"))
    if organizer:
        lines.append(organizer)
    for attendee in event.get("attendees") or []:
        role = {"required": "REQ-PARTICIPANT", "optional": "OPT-PARTICIPANT",
                "resource": "NON-PARTICIPANT"}.get(str(attendee.get("type", "")), "REQ-PARTICIPANT")
        line = _person("ATTENDEE", attendee, f";ROLE={role}")
        if line:
            lines.append(line)
    for attachment in event.get("attachments") or []:
        if attachment.get("contentBytes"):
            kind = attachment.get("contentType") or "application/octet-stream"
            lines.append(f"ATTACH;FMTTYPE={kind};ENCODING=BASE64;VALUE=BINARY;"
                         f"X-FILENAME={_quote(attachment.get('name') or 'attachment')}:{attachment['contentBytes']}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return _lines(lines)


def vcf(data: bytes) -> bytes:
    contact = _entity(data)
    if contact is None:
        return data
    if is_google_person(contact):  # People API JSON (Google Workspace backup)
        return person_vcf(contact)
    given, surname = contact.get("givenName") or "", contact.get("surname") or ""
    name = contact.get("displayName") or " ".join(p for p in (given, surname) if p) or "(no name)"
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"FN:{_esc(name)}",
             "N:" + ";".join(_esc(contact.get(k) or "") for k in ("surname", "givenName", "middleName", "title",
                                                                   "generation"))]
    if contact.get("nickName"):
        lines.append(f"NICKNAME:{_esc(contact['nickName'])}")
    if contact.get("companyName") or contact.get("department"):
        lines.append("ORG:" + ";".join(_esc(contact.get(k) or "") for k in ("companyName", "department")))
    if contact.get("jobTitle"):
        lines.append(f"TITLE:{_esc(contact['jobTitle'])}")
    for email in contact.get("emailAddresses") or []:
        if email.get("address"):
            lines.append(f"EMAIL;TYPE=INTERNET:{_esc(email['address'])}")
    phones = [("CELL", contact.get("mobilePhone"))] + [("WORK", p) for p in contact.get("businessPhones") or []] \
        + [("HOME", p) for p in contact.get("homePhones") or []]
    lines += [f"TEL;TYPE={kind}:{_esc(number)}" for kind, number in phones if number]
    for kind, key in (("WORK", "businessAddress"), ("HOME", "homeAddress"), ("OTHER", "otherAddress")):
        a = contact.get(key) or {}
        if any(a.get(k) for k in ("street", "city", "state", "postalCode", "countryOrRegion")):
            lines.append(f"ADR;TYPE={kind}:;;" + ";".join(_esc(a.get(k) or "") for k in (
                "street", "city", "state", "postalCode", "countryOrRegion")))
    if contact.get("birthday"):
        try:
            lines.append(f"BDAY:{datetime.fromisoformat(str(contact['birthday']).replace('Z', '+00:00')).date()}")
        except ValueError:
            pass
    if contact.get("personalNotes"):
        lines.append(f"NOTE:{_esc(contact['personalNotes'])}")
    if contact.get("categories"):
        lines.append("CATEGORIES:" + ",".join(_esc(c) for c in contact["categories"]))
    lines.append("END:VCARD")
    return _lines(lines)


RENDERERS = {"event": ics, "contact": vcf}


# --- readable HTML next to the JSON of Teams messages and To Do tasks ---------------------------------
_ACTIVE = re.compile(r"(?is)<(script|style|iframe|object|embed)\b.*?(</\1\s*>|$)")
_HANDLERS = re.compile(r"""(?i)\s+on\w+\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""")
_JS_URLS = re.compile(r"""(?i)(href|src)\s*=\s*(["']?)\s*javascript:[^"'\s>]*\2""")
_PAGE = ('<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{title}</title>'
         "<style>body{{font-family:sans-serif;max-width:50em;margin:2em auto}}"
         ".msg{{border-left:3px solid #6264a7;padding:.2em 1em;margin:1em 0}}.reply{{margin-left:2em}}"
         ".meta{{color:#555;font-size:.9em}}</style></head><body>\n<h1>{title}</h1>\n{body}\n</body></html>\n")


def _safe_html(content: str) -> str:
    """Message HTML without active content (scripts, frames, event handlers, javascript: links)."""
    return _JS_URLS.sub(r'\1="#"', _HANDLERS.sub("", _ACTIVE.sub("", content)))


def _message_block(message: dict[str, Any], css: str) -> str:
    sender = message.get("from") or {}
    who = ((sender.get("user") or sender.get("application") or sender.get("device") or {}).get("displayName")
           or "unknown")
    body = message.get("body") or {}
    content = str(body.get("content") or "")
    if message.get("deletedDateTime"):
        content = "<p><em>(deleted)</em></p>"
    elif str(body.get("contentType") or "html").lower() == "html":
        content = _safe_html(content)
    else:
        content = "<p>" + html.escape(content).replace("\n", "<br>") + "</p>"
    subject = f"<h2>{html.escape(str(message['subject']))}</h2>" if message.get("subject") else ""
    names = [html.escape(str(a.get("name") or "")) for a in message.get("attachments") or [] if a.get("name")]
    attached = f'<p class="meta">Attachments: {", ".join(names)}</p>' if names else ""
    return (f'<div class="{css}"><p class="meta"><strong>{html.escape(str(who))}</strong> '
            f'{html.escape(str(message.get("createdDateTime") or ""))}</p>{subject}{content}{attached}</div>')


def message_html(data: bytes) -> bytes:
    """A Teams channel thread (with its ``replies``) or chat message as a readable HTML page."""
    message = _entity(data)
    if message is None:
        message = {"body": {"contentType": "text", "content": data.decode("utf-8", errors="replace")}}
    blocks = [_message_block(message, "msg")]
    blocks += [_message_block(r, "msg reply") for r in sorted(
        (r for r in message.get("replies") or [] if isinstance(r, dict)),
        key=lambda r: str(r.get("createdDateTime") or ""))]
    title = str(message.get("subject") or message.get("createdDateTime") or "Teams message")
    return _PAGE.format(title=html.escape(title), body="\n".join(blocks)).encode("utf-8")


def task_html(data: bytes) -> bytes:
    """A To Do task as a readable HTML page (title, status, dates, notes, checklist)."""
    task = _entity(data) or {"title": data.decode("utf-8", errors="replace")}
    rows = []
    for label, value in (("Status", task.get("status")), ("Importance", task.get("importance")),
                         ("Due", (task.get("dueDateTime") or {}).get("dateTime") or task.get("due")),
                         ("Completed", (task.get("completedDateTime") or {}).get("dateTime")),
                         ("Categories", ", ".join(str(c) for c in task.get("categories") or []))):
        if value:
            rows.append(f"<tr><th>{label}</th><td>{html.escape(str(value))}</td></tr>")
    notes = _text(task.get("body")) or str(task.get("notes") or "")  # To Do body / Google Tasks notes
    checklist = "".join(f"<li>{'&#9745;' if item.get('isChecked') else '&#9744;'} "
                        f"{html.escape(str(item.get('displayName') or ''))}</li>"
                        for item in task.get("checklistItems") or [] if isinstance(item, dict))
    body = (f"<table>{''.join(rows)}</table>" + (f"<p>{html.escape(notes)}</p>" if notes else "")
            + (f"<ul>{checklist}</ul>" if checklist else ""))
    return _PAGE.format(title=html.escape(str(task.get("title") or "Task")), body=body).encode("utf-8")


# kind -> [(extension, renderer)]: extra ZIP members written next to the item's own (JSON) member.
COMPANIONS = {"channelmessage": [(".html", message_html)], "chatmessage": [(".html", message_html)],
              "task": [(".html", task_html)]}
