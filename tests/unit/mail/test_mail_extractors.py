"""Each attachment extractor on a real file made by the format's own library."""

from __future__ import annotations

import zipfile

import pytest
from asn1crypto import cms

from kustos.mail import get_part, parse
from kustos.mail.attachments import REGISTRY, extract_text
from kustos.mail.limits import DEFAULT_LIMITS
from tests.unit.mail.mail_samples import (
    RTF,
    make_docx,
    make_odp,
    make_ods,
    make_odt,
    make_pdf,
    make_pptx,
    make_xlsx,
    make_zip,
    message_with,
)


def _extract(data: bytes, ctype: str, filename: str) -> tuple[str, list[str], str]:
    result = extract_text(data, ctype, filename, DEFAULT_LIMITS, 0, _no_parse)
    return result.text, result.members, result.error


def _no_parse(data, ctx):  # type: ignore[no-untyped-def]
    raise AssertionError("message parsing not expected here")


def test_pdf_text_from_hand_written_pdf() -> None:
    text, _members, error = _extract(
        make_pdf(["Invoice 4711", "Total due: 99 EUR"]), "application/pdf", "i.pdf"
    )
    assert error == ""
    assert "Invoice 4711" in text and "Total due: 99 EUR" in text


def test_docx_paragraphs_and_tables() -> None:
    text, _m, error = _extract(
        make_docx("Kündigung des Vertrags", "Tabellenzelle"), "application/octet-stream", "v.docx"
    )
    assert error == ""
    assert "Kündigung des Vertrags" in text
    assert "Tabellenzelle\tsecond cell" in text


def test_xlsx_cells_read_only() -> None:
    text, _m, error = _extract(make_xlsx("Quarterly budget", 4711), "application/octet-stream", "b.xlsx")
    assert error == ""
    assert text.splitlines()[0] == "Budget"
    assert "Quarterly budget" in text and "4711" in text


def test_pptx_slide_text() -> None:
    ctype = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    text, _m, error = _extract(make_pptx("Roadmap 2025", "Ship the archive"), ctype, "")
    assert error == ""
    assert "Roadmap 2025" in text and "Ship the archive" in text


@pytest.mark.parametrize(
    ("data", "filename", "expected"),
    [
        (make_odt("Überschrift", "Absatz mit Text"), "a.odt", ["Überschrift", "Absatz mit Text"]),
        (make_ods("Zellwert 42"), "t.ods", ["Zellwert 42"]),
        (make_odp("Folie eins"), "p.odp", ["Folie eins"]),
    ],
)
def test_opendocument(data: bytes, filename: str, expected: list[str]) -> None:
    text, _m, error = _extract(data, "application/octet-stream", filename)
    assert error == ""
    assert text.splitlines() == expected


def test_rtf() -> None:
    text, _m, error = _extract(RTF, "application/rtf", "r.rtf")
    assert error == ""
    assert "Quarterly report café" in text and "Second line" in text


@pytest.mark.parametrize(
    ("data", "ctype", "filename", "expected"),
    [
        ("Grüße aus Köln".encode("cp1252") * 20, "text/plain", "g.txt", "Grüße aus Köln"),
        ("name;city\nMüller;Zürich\n".encode(), "application/octet-stream", "p.csv", "Müller;Zürich"),
        (b"<html><body><h1>Title</h1><p>Para &amp; more</p><script>x()</script></body></html>",
         "text/html", "", "Title\n\nPara & more"),
        (b"<?xml version='1.0'?><root><a>alpha</a><b>beta</b></root>", "text/xml", "", "alpha\nbeta"),
        ("привет мир, это текст".encode("koi8-r") * 20, "text/plain", "", "привет мир"),
    ],
)  # fmt: skip
def test_text_formats_are_charset_sniffed(data: bytes, ctype: str, filename: str, expected: str) -> None:
    text, _m, error = _extract(data, ctype, filename)
    assert error == ""
    assert expected in text


def test_xml_entities_are_not_expanded() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]><x>&b;ok</x>'
    text, _m, error = _extract(bomb, "application/xml", "")
    assert error == ""
    assert "aaaaaaaaaa" not in text


def test_zip_members_recursively_with_names() -> None:
    inner = make_zip({"deep/notes.txt": b"inner secret words"})
    archive = make_zip({"report.docx": make_docx("Docx inside zip", "c"), "nested.zip": inner, "empty/": b""})
    text, members, error = _extract(archive, "application/zip", "a.zip")
    assert error == ""
    assert members == ["report.docx", "nested.zip", "nested.zip/deep/notes.txt"]
    assert "Docx inside zip" in text and "inner secret words" in text


def test_zip_encrypted_member_listed_not_read() -> None:
    archive = bytearray(make_zip({"secret.txt": b"hidden"}, zipfile.ZIP_STORED))
    # Set the "encrypted" flag in the local and central headers (as a real one would).
    for sig, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        pos = archive.find(sig)
        archive[pos + offset] |= 0x1
    text, members, error = _extract(bytes(archive), "application/zip", "e.zip")
    assert (members, error) == (["secret.txt"], "")
    assert "hidden" not in text


def test_broken_input_records_error_not_raise() -> None:
    text, _m, error = _extract(b"%PDF-1.4 garbage", "application/pdf", "x.pdf")
    assert text == "" and error.startswith("extraction failed: ")
    _t, _m, error = _extract(b"not a zip", "application/zip", "x.zip")
    assert error.startswith("not a readable ZIP archive")


def test_unknown_format_has_no_text_and_no_error() -> None:
    assert _extract(b"\x89PNG\r\n\x1a\n....", "image/png", "a.png") == ("", [], "")


def test_registry_lookup_order() -> None:
    pdf = REGISTRY.find("application/pdf", "x.pdf")
    assert REGISTRY.find("application/octet-stream", "scan.PDF") is pdf
    assert REGISTRY.find("application/octet-stream", "noext", b"%PDF-1.7") is pdf
    assert REGISTRY.find("text/plain", "mail.eml") is REGISTRY.find("message/rfc822", "")
    assert REGISTRY.find("text/x-diff", "") is REGISTRY.find("text/plain", "")
    assert REGISTRY.find("image/jpeg", "photo.jpg") is None


def test_attachments_in_a_message_with_part_paths_and_get_part() -> None:
    files = [
        ("report.pdf", "application/pdf", make_pdf(["Quarterly numbers"])),
        ("notes.odt", "application/vnd.oasis.opendocument.text", make_odt("Heading", "Minutes")),
        ("data.xlsx", "application/octet-stream", make_xlsx("Sheet value", 7)),
    ]
    raw = message_with(files)
    msg = parse(raw)
    assert msg.parse_error == ""
    assert msg.body_text == "Body text"
    assert [(a.filename, a.part_path) for a in msg.attachments] == [
        ("report.pdf", "2"),
        ("notes.odt", "3"),
        ("data.xlsx", "4"),
    ]
    assert msg.has_attachment
    for att, (_name, _ctype, data) in zip(msg.attachments, files, strict=True):
        assert att.size == len(data)
        assert get_part(raw, att.part_path) == data
        assert att.extract_error == ""
    assert "Quarterly numbers" in msg.attachments[0].text
    assert msg.attachments[1].text == "Heading\nMinutes"
    assert "Sheet value" in msg.attachments[2].text


def test_smime_opaque_signed_content_is_parsed() -> None:
    inner = b"Content-Type: text/plain\r\nSubject: signed inside\r\n\r\nContract cancelled.\r\n"
    signed = cms.ContentInfo(
        {
            "content_type": "signed_data",
            "content": cms.SignedData(
                {
                    "version": "v1",
                    "digest_algorithms": [],
                    "encap_content_info": {"content_type": "data", "content": inner},
                    "signer_infos": [],
                }
            ),
        }
    ).dump()
    raw = message_with([("smime.p7m", "application/pkcs7-mime", signed)], body="")
    [att] = parse(raw).attachments
    assert att.extract_error == ""
    assert att.text == "Subject: signed inside\n\nContract cancelled.\n"
    enveloped = cms.ContentInfo({"content_type": "enveloped_data", "content": cms.EnvelopedData(
        {"version": "v0", "recipient_infos": [], "encrypted_content_info": {
            "content_type": "data", "content_encryption_algorithm": {"algorithm": "aes256_cbc", "parameters": b"0" * 16}}}
    )}).dump()  # fmt: skip
    [att] = parse(message_with([("smime.p7m", "application/pkcs7-mime", enveloped)])).attachments
    assert att.extract_error == "S/MIME enveloped-data: content not readable without a key"
