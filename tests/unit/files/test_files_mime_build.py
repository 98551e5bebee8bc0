"""The MAPI → MIME builder and the vCard/iCalendar renderings."""

from __future__ import annotations

from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from kustos.sources.files.mime_build import Attachment, MapiContent, build_message
from kustos.sources.files.render import CalendarEntry, ContactCard, calendar_message, contact_message

HEADERS = (
    "Received: from a by b; Mon, 1 Jan 2024 10:00:00 +0000\r\n"
    "Subject: Stored subject\r\n"
    "From: Alice <alice@example.org>\r\n"
    'Content-Type: multipart/mixed; boundary="gone"\r\n'
    "\tcontinued=param\r\n"
    "MIME-Version: 1.0\r\n"
    "broken line without colon\r\n"
)


def _parse(raw: bytes) -> EmailMessage:
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    return msg


def test_transport_headers_are_kept_and_structure_rebuilt() -> None:
    content = MapiContent(
        transport_headers=HEADERS,
        subject="MAPI subject (ignored: the stored header wins)",
        to=[("Bób", "bob@example.org")],
        date=datetime(2024, 1, 1, 10, 0, tzinfo=UTC),
        plain="Grüße\nline two",
        html=b'<p>Gr\xfc\xdfe <img src="cid:logo@x"></p>',
        html_charset="windows-1252",
        attachments=[
            Attachment(b"\x89PNG logo", "logo.png", "image/png", content_id="logo@x", inline=True),
            Attachment(b"%PDF report", "Bericht Ä.pdf", "application/pdf"),
            Attachment(b"Subject: inner\r\n\r\ninner body\r\n", "inner.eml", is_message=True),
        ],
    )
    raw = build_message(content)
    assert raw == build_message(content), "output must be deterministic for deduplication"
    assert raw.startswith(
        b"Received: from a by b; Mon, 1 Jan 2024 10:00:00 +0000\r\nSubject: Stored subject\r\n"
    )
    assert b'boundary="gone"' not in raw and b"continued=param" not in raw
    msg = _parse(raw)
    assert msg["subject"] == "Stored subject"
    assert msg["to"] == "Bób <bob@example.org>"
    assert msg["date"] == "Mon, 01 Jan 2024 10:00:00 +0000"
    assert msg.get_content_type() == "multipart/mixed"
    kinds = [p.get_content_type() for p in msg.walk()]
    assert kinds == [
        "multipart/mixed",
        "multipart/related",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "image/png",
        "application/pdf",
        "message/rfc822",
        "text/plain",
    ]
    plain = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert plain is not None and plain.get_content() == "Grüße\r\nline two"
    assert html is not None and "Grüße" in html.get_content()
    pdf = next(p for p in msg.iter_attachments() if p.get_content_type() == "application/pdf")
    assert pdf.get_filename() == "Bericht Ä.pdf" and pdf.get_content() == b"%PDF report"


def test_headers_synthesised_when_no_transport_headers() -> None:
    raw = build_message(
        MapiContent(
            subject="Übersicht",
            sender=("Eve", "eve@example.org"),
            cc=[("", "carol@example.org")],
            bcc=[("Dan", "dan@example.org")],
            message_id="<id@example.org>",
            rtf=b"{\\rtf1 hello}",
        )
    )
    msg = _parse(raw)
    assert msg["subject"] == "Übersicht" and msg["from"] == "Eve <eve@example.org>"
    assert msg["cc"] == "carol@example.org" and msg["bcc"] == "Dan <dan@example.org>"
    assert msg["message-id"] == "<id@example.org>"
    assert msg.get_content_type() == "text/rtf"


def test_contact_and_calendar_renderings() -> None:
    card = ContactCard(
        full_name="Ada Lovelace",
        given="Ada",
        surname="Lovelace",
        emails=["ada@example.org"],
        phones=[("cell", "+44 1")],
        note="line1\nline2; x",
    )
    msg = _parse(contact_message(card, datetime(2024, 1, 1, tzinfo=UTC), []))
    assert msg["x-kustos-item-kind"] == "contact" and msg["subject"] == "Ada Lovelace"
    vcard = next(p for p in msg.iter_attachments() if p.get_content_type() == "text/vcard").get_content()
    assert "FN:Ada Lovelace\r\n" in vcard and "N:Lovelace;Ada;;;\r\n" in vcard
    assert "EMAIL;TYPE=INTERNET:ada@example.org" in vcard and "NOTE:line1\\nline2\\; x" in vcard

    entry = CalendarEntry(
        kind="appointment",
        summary="Review",
        start=datetime(2024, 2, 1, 9, tzinfo=UTC),
        end=datetime(2024, 2, 1, 10, tzinfo=UTC),
        location="Room 1",
    )
    msg = _parse(calendar_message(entry, "file.pst#Calendar/1", []))
    assert msg["x-kustos-item-kind"] == "appointment"
    ics = next(p for p in msg.iter_attachments() if p.get_content_type() == "text/calendar").get_content()
    assert "BEGIN:VEVENT" in ics and "DTSTART:20240201T090000Z" in ics and "DTEND:20240201T100000Z" in ics
    assert "LOCATION:Room 1" in ics and "UID:" in ics
    task = CalendarEntry(kind="task", summary="Do it", end=datetime(2024, 3, 1, tzinfo=UTC), complete=True)
    ics = _parse(calendar_message(task, "t", [])).get_payload()[1].get_content()  # type: ignore[index,union-attr]
    assert "BEGIN:VTODO" in ics and "DUE:20240301T000000Z" in ics and "STATUS:COMPLETED" in ics
