"""Natural forms of PIM items: iCalendar events and vCard contacts to Graph properties and back.

Only what a backup round trip needs: summary, description, location, start/end (UTC
or floating, all-day), RRULE to ``patternedRecurrence``, UID to ``iCalUId``; FN/N,
EMAIL, TEL, ORG, TITLE, NOTE. Graph-created items get a generated ICS/VCF so that
``/_fakecloud/items`` can hash every item the same way.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

DAYS = {"SU": "sunday", "MO": "monday", "TU": "tuesday", "WE": "wednesday", "TH": "thursday", "FR": "friday",
        "SA": "saturday"}
FREQ = {"DAILY": "daily", "WEEKLY": "weekly", "MONTHLY": "absoluteMonthly", "YEARLY": "absoluteYearly"}


def unfold(text: str) -> list[tuple[str, dict[str, str], str]]:
    """Content lines as ``(NAME, params, value)``, folded lines joined."""
    lines: list[str] = []
    for raw in text.replace("\r\n", "\n").split("\n"):
        if raw[:1] in (" ", "\t") and lines:
            lines[-1] += raw[1:]
        elif raw:
            lines.append(raw)
    out = []
    for line in lines:
        head, _, value = line.partition(":")
        name, *params = head.split(";")
        out.append((name.upper(), dict(p.partition("=")[::2] for p in params), value))
    return out


def _unescape(value: str) -> str:
    return value.replace("\\n", "\n").replace("\\N", "\n").replace("\\,", ",").replace("\\;", ";")


def _dt(value: str) -> tuple[str, bool]:
    """``(Graph dateTime, all day)`` from an iCalendar DATE or DATE-TIME."""
    value = value.rstrip("Z")
    if len(value) == 8:
        return datetime.strptime(value, "%Y%m%d").strftime("%Y-%m-%dT%H:%M:%S.0000000"), True
    return datetime.strptime(value[:15], "%Y%m%dT%H%M%S").strftime("%Y-%m-%dT%H:%M:%S.0000000"), False


def _recurrence(rule: str, start: str) -> dict[str, Any]:
    parts = dict(p.partition("=")[::2] for p in rule.split(";") if p)
    kind = FREQ.get(parts.get("FREQ", "DAILY"), "daily")
    day = int(start[8:10])
    pattern = {"type": kind, "interval": int(parts.get("INTERVAL", "1")),
               "month": int(start[5:7]) if kind == "absoluteYearly" else 0,
               "dayOfMonth": day if kind in ("absoluteMonthly", "absoluteYearly") else 0,
               "daysOfWeek": [DAYS[d[-2:]] for d in parts.get("BYDAY", "").split(",") if d[-2:] in DAYS],
               "firstDayOfWeek": "sunday", "index": "first"}
    if kind == "weekly" and not pattern["daysOfWeek"]:
        pattern["daysOfWeek"] = [datetime.strptime(start[:10], "%Y-%m-%d").strftime("%A").lower()]
    rng: dict[str, Any] = {"type": "noEnd", "startDate": start[:10], "endDate": "0001-01-01",
                           "recurrenceTimeZone": "UTC", "numberOfOccurrences": 0}
    if "COUNT" in parts:
        rng.update(type="numbered", numberOfOccurrences=int(parts["COUNT"]))
    elif "UNTIL" in parts:
        rng.update(type="endDate", endDate=_dt(parts["UNTIL"])[0][:10])
    return {"pattern": pattern, "range": rng}


def event_from_ics(data: bytes) -> dict[str, Any]:
    lines = unfold(data.decode("utf-8", errors="replace"))
    inside, props = False, {}
    fields: dict[str, tuple[dict[str, str], str]] = {}
    for name, params, value in lines:
        if name == "BEGIN" and value.upper() == "VEVENT":
            inside = True
        elif name == "END" and value.upper() == "VEVENT":
            break
        elif inside and name not in fields:
            fields[name] = (params, value)
    if "DTSTART" not in fields:
        raise ValueError("the ICS has no VEVENT with DTSTART")
    start, all_day = _dt(fields["DTSTART"][1])
    end = _dt(fields["DTEND"][1])[0] if "DTEND" in fields else start
    props = {"subject": _unescape(fields.get("SUMMARY", ({}, ""))[1]),
             "body": {"contentType": "text", "content": _unescape(fields.get("DESCRIPTION", ({}, ""))[1])},
             "start": {"dateTime": start, "timeZone": "UTC"}, "end": {"dateTime": end, "timeZone": "UTC"},
             "location": {"displayName": _unescape(fields.get("LOCATION", ({}, ""))[1])},
             "isAllDay": all_day, "iCalUId": fields.get("UID", ({}, ""))[1] or None,
             "recurrence": _recurrence(fields["RRULE"][1], start) if "RRULE" in fields else None}
    return props


def _ics_dt(value: str) -> str:
    return re.sub(r"[-:]", "", value.split(".")[0]) + "Z"


def ics_from_event(props: dict[str, Any]) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//fakecloud//Graph//EN", "BEGIN:VEVENT",
             f"UID:{props.get('iCalUId') or props.get('id', '')}",
             f"SUMMARY:{props.get('subject') or ''}",
             f"DTSTART:{_ics_dt(props['start']['dateTime'])}", f"DTEND:{_ics_dt(props['end']['dateTime'])}",
             f"DESCRIPTION:{(props.get('body') or {}).get('content', '')}".replace("\n", "\\n"),
             f"LOCATION:{(props.get('location') or {}).get('displayName', '')}", "END:VEVENT", "END:VCALENDAR", ""]
    return "\r\n".join(lines).encode()


def contact_from_vcf(data: bytes) -> dict[str, Any]:
    fields: dict[str, list[str]] = {}
    for name, _params, value in unfold(data.decode("utf-8", errors="replace")):
        fields.setdefault(name.split(".")[-1], []).append(_unescape(value))
    if "FN" not in fields and "N" not in fields:
        raise ValueError("the VCF has neither FN nor N")
    surname, given = (fields.get("N", [";"])[0].split(";") + ["", ""])[:2]
    display = fields.get("FN", [f"{given} {surname}".strip()])[0]
    org = fields.get("ORG", [""])[0].split(";")[0]
    return {"displayName": display, "givenName": given or None, "surname": surname or None, "fileAs": display,
            "emailAddresses": [{"name": display, "address": a} for a in fields.get("EMAIL", [])],
            "businessPhones": fields.get("TEL", []), "companyName": org or None,
            "jobTitle": fields.get("TITLE", [None])[0], "personalNotes": fields.get("NOTE", [""])[0]}


def vcf_from_contact(props: dict[str, Any]) -> bytes:
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"FN:{props.get('displayName') or ''}",
             f"N:{props.get('surname') or ''};{props.get('givenName') or ''};;;"]
    lines += [f"EMAIL:{e.get('address', '')}" for e in props.get("emailAddresses") or []]
    lines += [f"TEL:{t}" for t in props.get("businessPhones") or []]
    if props.get("companyName"):
        lines.append(f"ORG:{props['companyName']}")
    if props.get("jobTitle"):
        lines.append(f"TITLE:{props['jobTitle']}")
    return "\r\n".join([*lines, "END:VCARD", ""]).encode()
