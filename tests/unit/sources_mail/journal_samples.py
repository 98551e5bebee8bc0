"""Hand-built journal mail following Microsoft's documented envelope journal report format."""

from __future__ import annotations

import base64

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
                 newline: bytes = b"\r\n", marker: bytes = b"X-MS-Journal-Report:",
                 report_text: str = REPORT_TEXT) -> bytes:
    text = report_text.encode("utf-8")
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
