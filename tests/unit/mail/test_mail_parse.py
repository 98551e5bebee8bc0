"""parse(): envelope fields, body selection, part numbering, nested messages,
and the never-raises contract."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kustos.mail import PartNotFound, get_part, html_to_text, parse
from tests.unit.mail.mail_samples import forward_of, make_docx, make_zip, message_with

SIMPLE = b"""\
Return-Path: <alice@example.org>
From: "Alice Example" <alice@example.org>
Sender: list-bounces@lists.example.org
To: Bob <bob@example.net>, carol@example.com
Cc: =?utf-8?q?J=C3=BCrgen?= <juergen@example.de>
Bcc: hidden@example.com
Reply-To: replies@example.org
Subject: =?utf-8?q?Quartalsbericht_f=C3=BCr?=
 Q3
Date: Tue, 02 Jul 2024 09:15:00 +0200
Message-ID: <msg-2@example.org>
In-Reply-To: <msg-1@example.org>
References: <msg-0@example.org>
 <msg-1@example.org>
List-Id: Example discussion <discuss.lists.example.org>
List-Unsubscribe: <mailto:leave@lists.example.org>
Content-Type: text/plain; charset=utf-8

Hello Bob,
the numbers are attached.
"""


def test_envelope_fields() -> None:
    msg = parse(SIMPLE)
    assert msg.parse_error == "" and msg.defects == []
    assert msg.from_ == [("Alice Example", "alice@example.org")]
    assert msg.sender == [("", "list-bounces@lists.example.org")]
    assert msg.to == [("Bob", "bob@example.net"), ("", "carol@example.com")]
    assert msg.cc == [("Jürgen", "juergen@example.de")]
    assert msg.bcc == [("", "hidden@example.com")]
    assert msg.reply_to == [("", "replies@example.org")]
    assert msg.subject == "Quartalsbericht für Q3"
    assert msg.date == datetime(2024, 7, 2, 9, 15, tzinfo=timezone(timedelta(hours=2)))
    assert msg.date_raw == "Tue, 02 Jul 2024 09:15:00 +0200"
    assert msg.message_id == "<msg-2@example.org>"
    assert msg.in_reply_to == "<msg-1@example.org>"
    assert msg.references == ["<msg-0@example.org>", "<msg-1@example.org>"]
    assert msg.list_id == "discuss.lists.example.org"
    assert msg.list_headers["list-unsubscribe"] == "<mailto:leave@lists.example.org>"
    assert msg.sender_domain == "example.org"
    assert msg.size == len(SIMPLE)
    assert msg.body_text == "Hello Bob,\nthe numbers are attached.\n"
    assert msg.attachments == [] and not msg.has_attachment
    assert msg.headers[0] == ("Return-Path", "<alice@example.org>")
    assert ("Subject", "Quartalsbericht für Q3") in msg.headers
    assert len(msg.headers) == 15


def test_crlf_message_gives_same_result() -> None:
    lf = parse(SIMPLE)
    crlf = parse(SIMPLE.replace(b"\n", b"\r\n"))
    assert (crlf.subject, crlf.to, crlf.references, crlf.body_text) == (
        lf.subject,
        lf.to,
        lf.references,
        lf.body_text,
    )


ALTERNATIVE = b"""\
From: a@example.org
Subject: alt
Content-Type: multipart/mixed; boundary="outer"

preamble is ignored
--outer
Content-Type: multipart/alternative; boundary="inner"

--inner
Content-Type: text/plain; charset=us-ascii

Plain version
--inner
Content-Type: multipart/related; boundary="rel"

--rel
Content-Type: text/html; charset=utf-8

<p>HTML <b>version</b><img src="cid:logo@x"></p>
--rel
Content-Type: image/png
Content-ID: <logo@x>
Content-Transfer-Encoding: base64

iVBORw0KGgo=
--rel--
--inner--
--outer
Content-Type: application/octet-stream; name="data.bin"
Content-Disposition: attachment
Content-Transfer-Encoding: base64

AAECAw==
--outer--
epilogue
"""


def test_alternative_related_and_part_paths() -> None:
    msg = parse(ALTERNATIVE)
    assert msg.body_text == "Plain version"
    assert msg.body_html == '<p>HTML <b>version</b><img src="cid:logo@x"></p>'
    assert [
        (a.part_path, a.content_type, a.filename, a.inline, a.content_id, a.size) for a in msg.attachments
    ] == [
        ("1.2.2", "image/png", "", True, "logo@x", 8),
        ("2", "application/octet-stream", "data.bin", False, "", 4),
    ]
    assert msg.has_attachment
    assert get_part(ALTERNATIVE, "1.2.2") == b"\x89PNG\r\n\x1a\n"
    assert get_part(ALTERNATIVE, "2") == b"\x00\x01\x02\x03"
    assert get_part(ALTERNATIVE, "1.1") == b"Plain version"
    for bad in ("3", "1.2.3", "0", "x", "", "2.1"):
        with pytest.raises(PartNotFound):
            get_part(ALTERNATIVE, bad)


def test_html_only_message_gets_text() -> None:
    raw = b"From: a@b.c\nContent-Type: text/html\n\n<html><head><style>p{}</style></head><body><p>Hi&nbsp;there</p><div>Second</div></body></html>"
    msg = parse(raw)
    assert msg.body_text == "Hi there\nSecond"
    assert msg.body_html.startswith("<html>")


def test_single_part_message_is_part_1() -> None:
    raw = b"From: a@b.c\nContent-Type: application/pdf; name=x.pdf\nContent-Transfer-Encoding: base64\n\nJVBERi0=\n"
    msg = parse(raw)
    assert [(a.part_path, a.filename) for a in msg.attachments] == [("1", "x.pdf")]
    assert get_part(raw, "1") == b"%PDF-"


def test_nested_message_text_and_numbering() -> None:
    docx_bytes = make_docx("Nested docx words", "c")
    inner = message_with([("inner.docx", "application/octet-stream", docx_bytes)], "Inner body")
    raw = forward_of(inner)
    msg = parse(raw)
    assert msg.body_text == "See below"
    [att] = msg.attachments
    assert (att.part_path, att.content_type, att.filename) == ("2", "message/rfc822", "Attachments.eml")
    assert att.members == ["inner.docx"]
    assert "From: Alice Example <alice@example.org>" in att.text
    assert "Subject: Attachments" in att.text
    assert "Inner body" in att.text and "Nested docx words" in att.text
    assert get_part(raw, "2") == inner  # the encapsulated message, byte for byte
    # sections inside the encapsulated message: 2.1 body, 2.2 the docx
    assert get_part(raw, "2.2") == docx_bytes
    assert get_part(raw, "2.1") == b"Inner body"


def test_eml_inside_zip_is_parsed() -> None:
    inner = message_with([], "Zipped mail body")
    raw = message_with([("mails.zip", "application/zip", make_zip({"old.eml": inner}))])
    [att] = parse(raw).attachments
    assert att.members == ["old.eml"]
    assert "Zipped mail body" in att.text and "Subject: Attachments" in att.text


def test_message_without_headers_is_flagged_but_readable() -> None:
    msg = parse(b"just some words\nand more\n")
    assert msg.parse_error == "no header fields found"
    assert msg.body_text == "just some words\nand more\n"
    assert "MissingHeaderBodySeparatorDefect" in msg.defects


@pytest.mark.parametrize("raw", [b"", b"   \r\n", b"\x00" * 10])
def test_empty_and_binary_inputs(raw: bytes) -> None:
    msg = parse(raw)
    assert msg.parse_error != ""
    assert msg.size == len(raw)


def test_non_bytes_input_is_an_error_not_an_exception() -> None:
    msg = parse("a string")  # type: ignore[arg-type]
    assert msg.parse_error == "input is str, not bytes"


def test_broken_multiparts() -> None:
    missing_close = b"From: a@b.c\nContent-Type: multipart/mixed; boundary=B\n\n--B\n\nfirst\n--B\n\nsecond\n"
    msg = parse(missing_close)
    assert msg.body_text == "first\nsecond\n"
    assert "CloseBoundaryNotFoundDefect" in msg.defects
    no_boundary = b"From: a@b.c\nContent-Type: multipart/mixed\n\nraw text stays findable\n"
    msg = parse(no_boundary)
    assert msg.body_text == "raw text stays findable\n"
    assert "NoBoundaryInMultipartDefect" in msg.defects
    wrong_boundary = b"From: a@b.c\nContent-Type: multipart/mixed; boundary=Z\n\n--B\n\ntext\n--B--\n"
    msg = parse(wrong_boundary)
    assert "text" in msg.body_text and "StartBoundaryNotFoundDefect" in msg.defects


def test_mbox_from_line_and_uuencode() -> None:
    raw = (
        b"From alice@example.org Mon Jul  1 10:00:00 2024\nFrom: a@b.c\nSubject: uu\n"
        b"Content-Type: application/octet-stream; name=a.txt\nContent-Transfer-Encoding: x-uuencode\n\n"
        b"begin 644 a.txt\n%:&5L;&\\*\n`\nend\n"
    )
    msg = parse(raw)
    assert msg.subject == "uu"
    assert get_part(raw, "1") == b"hello"


def test_html_to_text_public() -> None:
    assert html_to_text("<ul><li>one</li><li>two</li></ul>") == "one\ntwo"
    assert html_to_text("") == ""
    assert html_to_text("<p>a</p><p>b</p>x<br>y") == "a\n\nb\nx\ny"


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2000))
def test_never_raises_on_random_bytes(raw: bytes) -> None:
    msg = parse(raw)
    assert msg.size == len(raw)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from([
            b"From: a@b.c\n", b"Subject: =?utf-8?q?x=FF?=\n", b"Content-Type: multipart/mixed; boundary=q\n",
            b"\n", b"--q\n", b"--q--\n", b"Content-Type: message/rfc822\n", b"Content-Transfer-Encoding: base64\n",
            b"=?\n", b"\xff\xfe\n", b" folded\n", b"Content-Disposition: attachment; filename*0*=x''%\n",
            b"Content-Type: application/zip\n", b"UEsDBAo=\n", b"body line\n",
        ]),
        max_size=40,
    )
)  # fmt: skip
def test_never_raises_on_mime_shaped_garbage(lines: list[bytes]) -> None:
    raw = b"".join(lines)
    msg = parse(raw)
    assert isinstance(msg.body_text, str)


def test_has_attachment_ignores_inline_images_and_signatures() -> None:
    def msg(parts: str) -> bytes:
        return (b"From: a@b.c\nContent-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: text/plain\n\nhi\n"
                + parts.encode() + b"--B--\n")  # fmt: skip

    inline_img = "--B\nContent-Type: image/png\nContent-ID: <i@x>\nContent-Disposition: inline\n\nx\n"
    signature = "--B\nContent-Type: application/pgp-signature; name=signature.asc\n\nsig\n"
    inline_pdf = "--B\nContent-Type: application/pdf\nContent-Disposition: inline; filename=a.pdf\n\nx\n"
    assert not parse(msg(inline_img)).has_attachment
    assert not parse(msg(signature)).has_attachment
    assert parse(msg(inline_pdf)).has_attachment  # Apple Mail style: inline, but a file


def test_html_meta_charset_and_iso_date() -> None:
    raw = (
        b"From: a@b.c\nDate: 2024-07-01T10:00:00+02:00\nContent-Type: text/html\n\n"
        b'<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1251"></head>'
        + "<body>Привет</body></html>".encode("cp1251")
    )
    msg = parse(raw)
    assert msg.body_text == "Привет"
    assert msg.date is not None and msg.date.isoformat() == "2024-07-01T10:00:00+02:00"


def test_parse_in_forked_workers_after_parent_used_budgets() -> None:
    raw = message_with([("a.txt", "text/plain", b"attachment words")])
    assert parse(raw).attachments[0].text == "attachment words"  # starts the parent's watchdog
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=2, mp_context=ctx) as pool:
        results = list(pool.map(parse, [raw] * 8))
    assert [r.attachments[0].text for r in results] == ["attachment words"] * 8


def test_apple_mail_emlx_envelope_is_stripped() -> None:
    message = b"Subject: emlx\nFrom: a@b.c\n\nbody\n"
    raw = b"%d\n" % len(message) + message + b'<?xml version="1.0"?><plist><dict/></plist>\n'
    msg = parse(raw)
    assert (msg.subject, msg.body_text, msg.size) == ("emlx", "body\n", len(raw))
    assert msg.defects == ["EmlxEnvelope"]
    assert get_part(raw, "1") == b"body\n"


def test_bytearray_and_memoryview_inputs() -> None:
    assert parse(bytearray(SIMPLE)).subject == "Quartalsbericht für Q3"
    assert parse(memoryview(SIMPLE)).size == len(SIMPLE)


def test_format_flowed_is_unwrapped() -> None:
    raw = (
        b"From: a@b.c\nContent-Type: text/plain; charset=utf-8; format=flowed; delsp=yes\n\n"
        b"This sentence was wrapped by the sen \nder's client.\n>quoted\n \n-- \nsig\n"
    )
    assert parse(raw).body_text == "This sentence was wrapped by the sender's client.\n>quoted\n\n-- \nsig\n"
    plain = raw.replace(b"; delsp=yes", b"")
    assert parse(plain).body_text.startswith("This sentence was wrapped by the sen der's client.\n")
