"""A Microsoft 365 group post written as RFC 5322 bytes: deterministic, complete, and honest about what
it cannot carry."""

from __future__ import annotations

import base64
import hashlib
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest

from kustos.sources.graph.posts_mime import GroupInfo, PostFormatError, message_id_for, post_to_mime

GROUP = GroupInfo("0f1e2d3c-0000-4000-8000-000000000001", "vertrieb@kunde.example", "Vertrieb Süd")
POST: dict[str, Any] = {
    "id": "AAMkAGI2THVSAAA=", "receivedDateTime": "2026-05-04T07:08:09Z", "conversationId": "AAQkC1",
    "conversationThreadId": "AAQkT1",
    "from": {"emailAddress": {"name": "Jörg Weiß", "address": "joerg@kunde.example"}},
    "sender": {"emailAddress": {"name": "Assistenz", "address": "assistenz@kunde.example"}},
    "body": {"contentType": "html", "content": "<p>Grüße aus München</p>"},
    "newParticipants": [{"emailAddress": {"name": "Extern", "address": "extern@partner.example"}}],
    "inReplyTo": {"id": "AAMkPARENT="},
}
FILE = {"@odata.type": "#microsoft.graph.fileAttachment", "name": "Preisliste.csv", "contentType": "text/csv",
        "contentBytes": base64.b64encode(b"artikel;preis\r\n1;9,99\r\n").decode(), "isInline": False}


def parse(data: bytes) -> EmailMessage:
    message = message_from_bytes(data, policy=default)
    assert isinstance(message, EmailMessage)
    return message


def test_same_post_same_bytes_and_headers() -> None:
    one = post_to_mime(POST, group=GROUP, topic="Angebot Q2", thread_root="AAMkROOT=", attachments=[FILE])
    two = post_to_mime(dict(POST), group=GROUP, topic="Angebot Q2", thread_root="AAMkROOT=", attachments=[dict(FILE)])
    assert hashlib.sha256(one).hexdigest() == hashlib.sha256(two).hexdigest()
    assert b"\r\n" in one and b"\n" not in one.replace(b"\r\n", b"")
    message = parse(one)
    assert message["From"] == "Jörg Weiß <joerg@kunde.example>"
    assert message["Sender"] == "Assistenz <assistenz@kunde.example>"
    assert message["To"] == "Vertrieb Süd <vertrieb@kunde.example>"
    assert message["Cc"] == "Extern <extern@partner.example>"
    assert message["Subject"] == "Angebot Q2" and message["Date"] == "Mon, 04 May 2026 07:08:09 +0000"
    assert message["Message-ID"] == message_id_for("AAMkAGI2THVSAAA=", "kunde.example")
    assert message["In-Reply-To"] == message_id_for("AAMkPARENT=", "kunde.example")
    assert message["References"].split() == [message_id_for("AAMkROOT=", "kunde.example"),
                                             message_id_for("AAMkPARENT=", "kunde.example")]
    assert message["X-MS-Graph-Post-Id"] == "AAMkAGI2THVSAAA=" and message["X-MS-Graph-Thread-Id"] == "AAQkT1"
    body = message.get_body(("html",))
    assert body is not None and body.get_content().strip() == "<p>Grüße aus München</p>"
    [part] = list(message.iter_attachments())
    assert part.get_filename() == "Preisliste.csv" and part.get_payload(decode=True) == b"artikel;preis\r\n1;9,99\r\n"


def test_other_post_other_message_id() -> None:
    other = post_to_mime({**POST, "id": "AAMkOTHER="}, group=GROUP, topic="Angebot Q2")
    assert parse(other)["Message-ID"] != message_id_for("AAMkAGI2THVSAAA=", "kunde.example")


def test_text_body_and_unsupported_attachments_named() -> None:
    post = {**POST, "body": {"contentType": "text", "content": "plain words"}, "inReplyTo": None}
    item = {"@odata.type": "#microsoft.graph.itemAttachment", "name": "Weitergeleitet"}
    message = parse(post_to_mime(post, group=GROUP, topic="T", attachments=[item]))
    assert message.get_content_type() == "text/plain" and message.get_content().strip() == "plain words"
    assert message["X-Kustos-Skipped-Attachment"].strip() == "Weitergeleitet (itemAttachment)"
    assert message["In-Reply-To"] is None and message["References"] is None


def test_post_without_received_time_is_refused() -> None:
    with pytest.raises(PostFormatError, match="receivedDateTime"):
        post_to_mime({**POST, "receivedDateTime": None}, group=GROUP, topic="T")
