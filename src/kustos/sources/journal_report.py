"""Unwrapping journal mail: Exchange/Microsoft 365 envelope journal reports and BCC copies.

An Exchange envelope journal report (Exchange 2007+, Exchange Online) is a
``multipart/mixed`` message marked with an ``X-MS-Journal-Report`` header (older
servers: ``Content-Identifier: ExJournalReport``). Its first part is a text body
with one field per line (MS-XJRNL / "Understanding journal reports")::

    Sender: alice@contoso.com
    Subject: Quarterly numbers
    Message-Id: <123@contoso.com>
    On-Behalf-Of: boss@contoso.com          (optional)
    To: bob@contoso.com
    Cc: carol@contoso.com
    Bcc: dave@fabrikam.com
    To: dl-member@contoso.com, Expanded: dl@contoso.com
    Cc: fwd@contoso.com, Forwarded: user@contoso.com
    Recipient: eve@contoso.com              (addressing could not be verified)

and the journaled message is attached unaltered as ``message/rfc822``. The
original is returned byte-for-byte as embedded (only a base64/quoted-printable
transfer encoding, which a relay may have added, is undone), because the archive
must store exactly those bytes (COMPLIANCE.md 3).

Anything else is plain BCC journaling (Postfix ``always_bcc``, MDaemon, IceWarp,
Kerio Connect): the message itself is the original and the envelope recipients
are the SMTP ``RCPT TO`` addresses.
"""

from __future__ import annotations

import base64
import binascii
import quopri
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses

REPORT_FIELDS = ("to", "cc", "bcc", "recipient")
_LINE = re.compile(r"^(?P<name>[A-Za-z-]+):[ \t]*(?P<value>.*)$")
_REDIRECT = re.compile(r",\s*(?P<kind>Expanded|Forwarded):\s*(?P<source>\S+)\s*$", re.IGNORECASE)


class JournalReportInvalid(ValueError):
    """Marked as a journal report but the structure is broken (no rfc822 part, bad boundary)."""


@dataclass(frozen=True)
class JournalRecipient:
    """One recipient line of a report: ``field`` is to/cc/bcc/recipient; ``expanded_from``
    is the distribution group it came from, ``forwarded_from`` the address it replaced."""

    address: str
    field: str
    expanded_from: str = ""
    forwarded_from: str = ""


@dataclass(frozen=True)
class JournalResult:
    original: bytes
    envelope_sender: str
    recipients: list[str]
    kind: str  # "exchange" | "bcc"
    details: list[JournalRecipient] = field(default_factory=list)
    subject: str = ""
    message_id: str = ""
    on_behalf_of: str = ""


def _split_head(blob: bytes) -> tuple[bytes, bytes]:
    """Split at the first empty line (CRLF or LF); the separator belongs to neither side."""
    match = re.search(rb"\r?\n\r?\n", blob)
    if match is None:
        return blob, b""
    return blob[: match.start()] + b"\r\n", blob[match.end():]


def _headers(head: bytes) -> Message:
    return BytesHeaderParser(policy=compat32).parsebytes(head)


def is_journal_report(headers: Message) -> bool:
    if headers.get("X-MS-Journal-Report") is not None:
        return True
    return (headers.get("Content-Identifier") or "").strip().lower() == "exjournalreport"


def looks_like_journal_report(raw: bytes) -> bool:
    """Whether ``raw`` is marked as an Exchange journal report (its top-level header says so)."""
    head, _ = _split_head(raw)
    return is_journal_report(_headers(head))


@dataclass(frozen=True)
class Participants:
    """Addresses named in a message's own header (lower case): From/Sender and To/Cc."""

    senders: list[str]
    recipients: list[str]


def header_participants(raw: bytes) -> Participants:
    """From/Sender and To/Cc of a message, from its header only (never raises)."""
    head, _ = _split_head(raw)
    headers = _headers(head)

    def addresses(*names: str) -> list[str]:
        values = [str(v) for name in names for v in (headers.get_all(name) or [])]
        found = [addr.strip().lower() for _, addr in getaddresses(values)]
        return _unique([addr for addr in found if "@" in addr and " " not in addr])

    return Participants(senders=addresses("From", "Sender"), recipients=addresses("To", "Cc"))


def _parts(body: bytes, boundary: str) -> list[bytes]:
    """Body parts of a multipart body, exact bytes (RFC 2046 §5.1.1: the CRLF before a
    delimiter belongs to the delimiter)."""
    delimiter = re.compile(rb"(?:^|\r?\n)--" + re.escape(boundary.encode("latin-1")) + rb"(--)?[ \t]*(?:\r?\n|$)")
    parts: list[bytes] = []
    start: int | None = None
    for match in delimiter.finditer(body):
        if start is not None:
            parts.append(body[start:match.start()])
        if match.group(1):  # close delimiter
            return parts
        start = match.end()
    if start is None:
        raise JournalReportInvalid("journal report: multipart boundary not found")
    parts.append(body[start:])  # unterminated: keep what is there
    return parts


def _decode(body: bytes, encoding: str) -> bytes:
    encoding = encoding.strip().lower()
    if encoding == "base64":
        try:
            return base64.b64decode(body, validate=False)
        except binascii.Error as exc:
            raise JournalReportInvalid(f"journal report: bad base64 in a part ({exc})")
    if encoding == "quoted-printable":
        return quopri.decodestring(body)
    return body


def _text(part_headers: Message, body: bytes) -> str:
    data = _decode(body, part_headers.get("Content-Transfer-Encoding", ""))
    charset = part_headers.get_content_charset() or "utf-8"
    try:
        return data.decode(charset, errors="replace")
    except LookupError:
        return data.decode("utf-8", errors="replace")


def _strip_address(value: str) -> str:
    return value.strip().strip("<>").strip()


def parse_report_text(text: str) -> tuple[dict[str, str], list[JournalRecipient]]:
    """The report body's single-value fields (lower-case names) and its recipient lines."""
    fields: dict[str, str] = {}
    recipients: list[JournalRecipient] = []
    for line in text.splitlines():
        match = _LINE.match(line.strip())
        if match is None:
            continue
        name, value = match.group("name").lower(), match.group("value").strip()
        if name not in REPORT_FIELDS:
            fields.setdefault(name, value)
            continue
        redirect = _REDIRECT.search(value)
        expanded = forwarded = ""
        if redirect is not None:
            source = _strip_address(redirect.group("source"))
            expanded, forwarded = (source, "") if redirect.group("kind").lower() == "expanded" else ("", source)
            value = value[: redirect.start()]
        address = _strip_address(value)
        if address:
            recipients.append(JournalRecipient(address, name, expanded, forwarded))
    return fields, recipients


def _unique(addresses: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    result: list[str] = []
    for address in addresses:
        if address.lower() not in seen:
            seen.add(address.lower())
            result.append(address)
    return result


def unwrap_journal(raw: bytes, mail_from: str = "", rcpt_tos: Sequence[str] = ()) -> JournalResult:
    """Return the original message and its envelope data from journal mail.

    ``mail_from``/``rcpt_tos`` are the SMTP envelope of the journal delivery; they
    are the result for plain BCC journaling and ignored for Exchange reports, whose
    recipients (To/Cc/Bcc/Recipient lines, distribution-group members included) come
    from the report body. Raises JournalReportInvalid for a marked but broken report.
    """
    head, body = _split_head(raw)
    headers = _headers(head)
    if not is_journal_report(headers):
        return JournalResult(original=raw, envelope_sender=mail_from, recipients=_unique(list(rcpt_tos)), kind="bcc")
    boundary = headers.get_param("boundary")
    if not isinstance(boundary, str) or headers.get_content_maintype() != "multipart":
        raise JournalReportInvalid("journal report is not multipart")
    report_text: str | None = None
    original: bytes | None = None
    for part in _parts(body, boundary):
        part_head, part_body = _split_head(part)
        part_headers = _headers(part_head)
        content_type = part_headers.get_content_type()
        if content_type == "message/rfc822" and original is None:
            original = _decode(part_body, part_headers.get("Content-Transfer-Encoding", ""))
        elif content_type == "text/plain" and report_text is None:
            report_text = _text(part_headers, part_body)
    if original is None:
        raise JournalReportInvalid("journal report has no message/rfc822 part")
    fields, details = parse_report_text(report_text or "")
    return JournalResult(
        original=original,
        envelope_sender=_strip_address(fields.get("sender", "")),
        recipients=_unique([recipient.address for recipient in details]),
        kind="exchange",
        details=details,
        subject=fields.get("subject", ""),
        message_id=fields.get("message-id", ""),
        on_behalf_of=_strip_address(fields.get("on-behalf-of", "")),
    )
