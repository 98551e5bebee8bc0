"""Exchange/Microsoft 365 journal reports and plain BCC journaling."""

from __future__ import annotations

import base64
import hashlib

import pytest

from kustos.sources.journal_report import JournalReportInvalid, unwrap_journal

ORIGINAL = (
    b"Received: from mail.contoso.com by mx; Mon, 2 Mar 2026 10:00:00 +0100\r\n"
    b"From: Alice <alice@contoso.com>\r\n"
    b"To: Bob <bob@contoso.com>, sales@contoso.com\r\n"
    b"Subject: =?utf-8?q?Angebot_f=C3=BCr_Q2?=\r\n"
    b"Message-ID: <orig-1@contoso.com>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: multipart/alternative; boundary=\"inner\"\r\n"
    b"\r\n"
    b"--inner\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHallo   Bob,\r\n\r\n trailing spaces  \r\n"
    b"--inner--\r\n"
)

REPORT_TEXT = (
    "Sender: alice@contoso.com\r\n"
    "Subject: Angebot für Q2\r\n"
    "Message-Id: <orig-1@contoso.com>\r\n"
    "To: bob@contoso.com\r\n"
    "To: dl-member@contoso.com, Expanded: sales@contoso.com\r\n"
    "Cc: fwd@contoso.com, Forwarded: carol@contoso.com\r\n"
    "Bcc: dave@fabrikam.com\r\n"
    "Recipient: eve@contoso.com\r\n"
)


def build_report(original: bytes = ORIGINAL, *, text_cte: str = "8bit", rfc822_cte: str = "",
                 newline: bytes = b"\r\n", marker: bytes = b"X-MS-Journal-Report:") -> bytes:
    text = REPORT_TEXT.encode("utf-8")
    if text_cte == "base64":
        text = base64.encodebytes(text).replace(b"\n", b"\r\n")
    attached = original
    if rfc822_cte == "base64":
        attached = base64.encodebytes(original).replace(b"\n", b"\r\n")
    head = [
        b"From: Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@contoso.com>",
        b"To: journal-c42@archive.example",
        b"Subject: Angebot",
        marker,
        b"MIME-Version: 1.0",
        b'Content-Type: multipart/mixed; boundary="_journal_boundary_"',
    ]
    part2 = [b"--_journal_boundary_", b"Content-Type: message/rfc822"]
    if rfc822_cte:
        part2.append(b"Content-Transfer-Encoding: " + rfc822_cte.encode())
    return (
        newline.join(head) + newline + newline
        + b"--_journal_boundary_" + newline
        + b"Content-Type: text/plain; charset=\"utf-8\"" + newline
        + b"Content-Transfer-Encoding: " + text_cte.encode() + newline + newline
        + text + newline
        + newline.join(part2) + newline + newline
        + attached + newline
        + b"--_journal_boundary_--" + newline
    )


def test_exchange_report_unwrapped_byte_exact_with_bcc_and_expanded() -> None:
    result = unwrap_journal(build_report(), mail_from="", rcpt_tos=["journal-c42@archive.example"])
    assert result.kind == "exchange"
    assert result.original == ORIGINAL
    assert hashlib.sha256(result.original).digest() == hashlib.sha256(ORIGINAL).digest()
    assert result.envelope_sender == "alice@contoso.com"
    assert result.recipients == ["bob@contoso.com", "dl-member@contoso.com", "fwd@contoso.com",
                                 "dave@fabrikam.com", "eve@contoso.com"]
    fields = {d.address: d for d in result.details}
    assert fields["dave@fabrikam.com"].field == "bcc"
    assert fields["dl-member@contoso.com"].expanded_from == "sales@contoso.com"
    assert fields["fwd@contoso.com"].forwarded_from == "carol@contoso.com"
    assert result.subject == "Angebot für Q2" and result.message_id == "<orig-1@contoso.com>"


def test_encoded_parts_and_legacy_marker() -> None:
    report = build_report(text_cte="base64", rfc822_cte="base64",
                          marker=b"Content-Identifier: ExJournalReport")
    result = unwrap_journal(report)
    assert result.kind == "exchange" and result.original == ORIGINAL
    assert "dave@fabrikam.com" in result.recipients


def test_lf_only_report_keeps_original_bytes() -> None:
    original = ORIGINAL.replace(b"\r\n", b"\n")
    result = unwrap_journal(build_report(original, newline=b"\n"))
    assert result.original == original


def test_plain_bcc_journaling_uses_rcpt_to() -> None:
    result = unwrap_journal(ORIGINAL, mail_from="alice@contoso.com",
                            rcpt_tos=["journal@archive.example", "JOURNAL@archive.example"])
    assert result.kind == "bcc" and result.original == ORIGINAL
    assert result.envelope_sender == "alice@contoso.com"
    assert result.recipients == ["journal@archive.example"]


def test_report_without_attached_message_is_rejected() -> None:
    broken = build_report().replace(b"Content-Type: message/rfc822", b"Content-Type: text/plain")
    with pytest.raises(JournalReportInvalid, match="no message/rfc822"):
        unwrap_journal(broken)
    with pytest.raises(JournalReportInvalid, match="boundary"):
        unwrap_journal(build_report().replace(b"--_journal_boundary_", b"--other"))
