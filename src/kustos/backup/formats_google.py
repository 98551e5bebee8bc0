"""Google Calendar events and People API persons (stored as the APIs' JSON by the Google Workspace
backup) rendered as iCalendar (RFC 5545) and vCard 3.0 (RFC 2426) for downloads. ``formats.ics`` and
``formats.vcf`` hand a Google resource (``kind`` ``calendar#event``, ``resourceName`` ``people/...``)
here. Framework-free."""

from __future__ import annotations

import re
from typing import Any

from kustos.backup.ical_text import esc as _esc
from kustos.backup.ical_text import lines as _lines


def is_google_event(doc: dict[str, Any]) -> bool:
    return doc.get("kind") == "calendar#event"


def is_google_person(doc: dict[str, Any]) -> bool:
    return str(doc.get("resourceName") or "").startswith("people/")


def _stamp(value: str) -> str:
    """RFC 3339 (``2026-06-01T10:00:00Z``, ``...+02:00``) → ``20260601T100000`` (+ ``Z`` when UTC)."""
    digits = re.sub(r"[^0-9T]", "", value.split(".")[0][:19])
    utc = value.endswith("Z") or value.endswith("+00:00")
    return (digits + "000000")[:15] + ("Z" if utc else "")


def _when(name: str, value: dict[str, Any] | None) -> str | None:
    if not value:
        return None
    if value.get("date"):
        return f"{name};VALUE=DATE:{str(value['date']).replace('-', '')}"
    if not value.get("dateTime"):
        return None
    zone = value.get("timeZone")
    stamp = _stamp(str(value["dateTime"]))
    if zone and not stamp.endswith("Z"):
        return f"{name};TZID={_esc(zone)}:{stamp}"
    return f"{name}:{stamp}"


def _person(prop: str, who: dict[str, Any] | None, extra: str = "") -> str | None:
    if not who or not who.get("email"):
        return None
    name = f';CN="{str(who["displayName"]).replace(chr(34), chr(39))}"' if who.get("displayName") else ""
    return f"{prop}{name}{extra}:mailto:{who['email']}"


def event_ics(event: dict[str, Any]) -> bytes:
    stamp = _stamp(str(event.get("updated") or event.get("created") or "1970-01-01T00:00:00Z"))
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Kustos//Backup//EN", "BEGIN:VEVENT",
             f"UID:{_esc(event.get('iCalUID') or event.get('id') or 'kustos-event')}",
             f"DTSTAMP:{stamp if stamp.endswith('Z') else stamp + 'Z'}"]
    lines += [line for line in (_when("DTSTART", event.get("start")), _when("DTEND", event.get("end"))) if line]
    lines += [str(rule) for rule in event.get("recurrence") or [] if isinstance(rule, str)]  # RRULE/EXDATE/RDATE
    for prop, key in (("SUMMARY", "summary"), ("DESCRIPTION", "description"), ("LOCATION", "location")):
        if event.get(key):
            lines.append(f"{prop}:{_esc(event[key])}")
    if event.get("status") in ("confirmed", "tentative", "cancelled"):
        lines.append(f"STATUS:{str(event['status']).upper()}")
    if event.get("visibility") in ("private", "confidential"):
        lines.append(f"CLASS:{str(event['visibility']).upper()}")
    if event.get("transparency") == "transparent":
        lines.append("TRANSP:TRANSPARENT")
    organizer = _person("ORGANIZER", event.get("organizer"))
    if organizer:
        lines.append(organizer)
    for attendee in event.get("attendees") or []:
        role = "OPT-PARTICIPANT" if attendee.get("optional") else "REQ-PARTICIPANT"
        line = _person("ATTENDEE", attendee, f";ROLE={role}")
        if line:
            lines.append(line)
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return _lines(lines)


def person_vcf(person: dict[str, Any]) -> bytes:
    name = (person.get("names") or [{}])[0]
    full = name.get("displayName") or " ".join(
        p for p in (name.get("givenName"), name.get("familyName")) if p) or "(no name)"
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"FN:{_esc(full)}",
             "N:" + ";".join(_esc(name.get(k) or "") for k in ("familyName", "givenName", "middleName",
                                                                "honorificPrefix", "honorificSuffix"))]
    for nick in person.get("nicknames") or []:
        if nick.get("value"):
            lines.append(f"NICKNAME:{_esc(nick['value'])}")
    for org in person.get("organizations") or []:
        if org.get("name") or org.get("department"):
            lines.append("ORG:" + ";".join(_esc(org.get(k) or "") for k in ("name", "department")))
        if org.get("title"):
            lines.append(f"TITLE:{_esc(org['title'])}")
    for email in person.get("emailAddresses") or []:
        if email.get("value"):
            lines.append(f"EMAIL;TYPE=INTERNET:{_esc(email['value'])}")
    for phone in person.get("phoneNumbers") or []:
        if phone.get("value"):
            kind = {"mobile": "CELL", "work": "WORK", "home": "HOME"}.get(str(phone.get("type") or ""), "VOICE")
            lines.append(f"TEL;TYPE={kind}:{_esc(phone['value'])}")
    for address in person.get("addresses") or []:
        if any(address.get(k) for k in ("streetAddress", "city", "region", "postalCode", "country")):
            kind = str(address.get("type") or "other").upper()
            lines.append(f"ADR;TYPE={_esc(kind)}:;;" + ";".join(_esc(address.get(k) or "") for k in (
                "streetAddress", "city", "region", "postalCode", "country")))
    for birthday in person.get("birthdays") or []:
        date = birthday.get("date") or {}
        if date.get("month") and date.get("day"):
            month, day = int(date["month"]), int(date["day"])
            lines.append(f"BDAY:{int(date['year']):04d}-{month:02d}-{day:02d}" if date.get("year")
                         else f"BDAY:--{month:02d}{day:02d}")
            break
    for url in person.get("urls") or []:
        if url.get("value"):
            lines.append(f"URL:{_esc(url['value'])}")
    for bio in person.get("biographies") or []:
        if bio.get("value"):
            lines.append(f"NOTE:{_esc(bio['value'])}")
    lines.append("END:VCARD")
    return _lines(lines)
