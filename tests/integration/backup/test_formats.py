"""Graph JSON → iCalendar / vCard for downloads (backup/formats.py)."""

from __future__ import annotations

import json

from kustos.backup.formats import ics, vcf


def test_event_json_renders_as_icalendar():
    event = {"id": "AAMk1", "iCalUId": "uid-1", "subject": "Planung; Q3, Team", "isAllDay": False,
             "start": {"dateTime": "2026-06-01T10:00:00.0000000", "timeZone": "W. Europe Standard Time"},
             "end": {"dateTime": "2026-06-01T11:00:00.0000000", "timeZone": "W. Europe Standard Time"},
             "body": {"contentType": "html", "content": "<p>Agenda</p><script>x()</script>"},
             "organizer": {"emailAddress": {"name": "Anna", "address": "anna@kunde.example"}},
             "attendees": [{"type": "optional", "emailAddress": {"address": "ben@kunde.example"}}],
             "recurrence": {"pattern": {"type": "relativeMonthly", "interval": 1, "daysOfWeek": ["friday"],
                                        "index": "last"}, "range": {"type": "endDate", "endDate": "2026-12-31"}},
             "attachments": [{"name": "a.txt", "contentType": "text/plain", "contentBytes": "aGk="}],
             "lastModifiedDateTime": "2026-05-01T08:00:00Z"}
    text = ics(json.dumps(event).encode()).decode()
    assert "UID:uid-1\r\n" in text and "SUMMARY:Planung\\; Q3\\, Team\r\n" in text
    assert "DTSTART;TZID=W. Europe Standard Time:20260601T100000\r\n" in text
    assert "RRULE:FREQ=MONTHLY;INTERVAL=1;BYDAY=-1FR;UNTIL=20261231\r\n" in text
    assert "DESCRIPTION:Agenda\r\n" in text and "x()" not in text
    assert 'ORGANIZER;CN="Anna":mailto:anna@kunde.example' in text
    assert "ATTENDEE;ROLE=OPT-PARTICIPANT:mailto:ben@kunde.example" in text
    assert 'X-FILENAME="a.txt":aGk=' in text.replace("\r\n ", "")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    allday = ics(json.dumps({"isAllDay": True, "start": {"dateTime": "2026-06-01T00:00:00", "timeZone": "UTC"}})
                 .encode()).decode()
    assert "DTSTART;VALUE=DATE:20260601\r\n" in allday


def test_contact_json_renders_as_vcard_and_other_content_passes_through():
    contact = {"givenName": "Max", "surname": "Muster", "companyName": "Kunde GmbH", "mobilePhone": "+49 1",
               "businessAddress": {"street": "Weg 1", "city": "Berlin", "postalCode": "10115"},
               "emailAddresses": [{"address": "max@kunde.example"}], "birthday": "1980-02-03T00:00:00Z"}
    text = vcf(json.dumps(contact).encode()).decode()
    assert "FN:Max Muster\r\n" in text and "N:Muster;Max;;;\r\n" in text and "ORG:Kunde GmbH;\r\n" in text
    assert "TEL;TYPE=CELL:+49 1\r\n" in text and "ADR;TYPE=WORK:;;Weg 1;Berlin;;10115;\r\n" in text
    assert "BDAY:1980-02-03\r\n" in text
    raw = b"BEGIN:VCARD\r\nFN:x\r\nEND:VCARD\r\n"
    assert vcf(raw) == raw and ics(b"BEGIN:VCALENDAR\r\n") == b"BEGIN:VCALENDAR\r\n"
