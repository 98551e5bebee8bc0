"""Build a faithful RFC 5322/MIME message from Outlook (MAPI) content.

PST items and .msg files store headers, bodies and attachments separately. This module
rebuilds one message from them: the transport headers as stored (minus the MIME
structure headers, which describe a body that is no longer there), missing core headers
synthesised from MAPI properties, plain/HTML/RTF bodies and attachments. Output is
deterministic (boundaries are content hashes, no timestamps or random values), so
importing the same item twice yields identical bytes and deduplicates.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import quoprimime
from email.header import Header
from email.utils import encode_rfc2231, format_datetime, formataddr

CRLF = b"\r\n"
_STRUCTURE_FIELDS = {
    "content-type",
    "content-transfer-encoding",
    "mime-version",
    "content-length",
    "content-disposition",
    "content-id",
    "content-description",
}
_FIELD_NAME = re.compile(r"^([!-9;-~]+)[ \t]*:")
_TOKEN = re.compile(r"^[A-Za-z0-9!#$&+.^_`{}~-]+$")

Address = tuple[str, str]  # (display name, address)


@dataclass
class Attachment:
    """One attachment; ``is_message`` marks ``data`` as an RFC 822 message (message/rfc822)."""

    data: bytes
    filename: str | None = None
    mime_type: str = "application/octet-stream"
    content_id: str | None = None
    inline: bool = False
    is_message: bool = False


@dataclass
class MapiContent:
    """Everything needed to rebuild one message."""

    transport_headers: str | None = None
    subject: str | None = None
    sender: Address | None = None
    to: list[Address] = field(default_factory=list)
    cc: list[Address] = field(default_factory=list)
    bcc: list[Address] = field(default_factory=list)
    date: datetime | None = None
    message_id: str | None = None
    in_reply_to: str | None = None
    plain: str | None = None
    html: bytes | None = None
    html_charset: str | None = None
    rtf: bytes | None = None
    attachments: list[Attachment] = field(default_factory=list)
    extra_headers: list[tuple[str, str]] = field(default_factory=list)


def build_message(content: MapiContent) -> bytes:
    """Return the message as RFC 5322 bytes with CRLF line endings."""
    lines = _transport_lines(content.transport_headers)
    present = {_field_name(line) for line in lines} - {None}
    for name, value in _synthesised(content):
        if name.lower() not in present:
            lines.append(_header(name, value))
    lines.extend(_header(name, value) for name, value in content.extra_headers)
    lines.append(b"MIME-Version: 1.0")
    return CRLF.join(lines) + CRLF + _body(content)


def _field_name(line: bytes) -> str | None:
    match = _FIELD_NAME.match(line.decode("latin-1"))
    return match.group(1).lower() if match else None


def _transport_lines(headers: str | None) -> list[bytes]:
    """Stored header lines, structure fields dropped, malformed lines kept as continuations."""
    if not headers:
        return []
    out: list[bytes] = []
    dropping = False
    for text in headers.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not text.strip():
            if out:
                break  # the header block ends at its first empty line
            continue
        line = text.encode("utf-8", "surrogateescape")
        if line[:1] in (b" ", b"\t"):
            if out and not dropping:
                out.append(line)
            continue
        name = _field_name(line)
        if name is None:
            if out and not dropping:
                out.append(b" " + line)
            continue
        dropping = name in _STRUCTURE_FIELDS
        if not dropping:
            out.append(line)
    return out


def _synthesised(content: MapiContent) -> list[tuple[str, str]]:
    fields: list[tuple[str, str]] = []
    if content.sender:
        fields.append(("From", _addresses([content.sender])))
    for name, addrs in (("To", content.to), ("Cc", content.cc), ("Bcc", content.bcc)):
        if addrs:
            fields.append((name, _addresses(addrs)))
    if content.subject is not None:
        fields.append(("Subject", content.subject))
    if content.date is not None:
        fields.append(("Date", format_datetime(content.date)))
    if content.message_id:
        fields.append(("Message-ID", content.message_id))
    if content.in_reply_to:
        fields.append(("In-Reply-To", content.in_reply_to))
    return fields


def _addresses(addrs: list[Address]) -> str:
    return ", ".join(formataddr((name, addr), charset="utf-8") if name else addr for name, addr in addrs)


def _header(name: str, value: str) -> bytes:
    value = " ".join(value.split())
    if value.isascii():
        encoded = Header(value, "us-ascii", header_name=name).encode(linesep="\r\n")
    elif name.lower() in ("from", "to", "cc", "bcc"):
        encoded = value  # formataddr already applied RFC 2047 to display names
        if not encoded.isascii():
            encoded = Header(value, "utf-8", header_name=name).encode(linesep="\r\n")
    else:
        encoded = Header(value, "utf-8", header_name=name).encode(linesep="\r\n")
    return f"{name}: {encoded}".encode("ascii", "replace")


def _param(name: str, value: str) -> str:
    if value.isascii() and '"' not in value and "\\" not in value:
        return f'{name}="{value}"'
    return f"{name}*={encode_rfc2231(value, 'utf-8')}"


def _part(headers: list[str], payload: bytes) -> bytes:
    return CRLF.join(h.encode("ascii") for h in headers) + CRLF + CRLF + payload


def _qp(data: bytes) -> bytes:
    text = data.replace(b"\r\n", b"\n").decode("latin-1")
    return quoprimime.body_encode(text, maxlinelen=76, eol="\r\n").encode("latin-1")


def _b64(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", CRLF)


def _text(subtype: str, data: bytes, charset: str | None) -> bytes:
    ctype = f"text/{subtype}" + (f"; charset={_quote(charset)}" if charset else "")
    return _part([f"Content-Type: {ctype}", "Content-Transfer-Encoding: quoted-printable"], _qp(data))


def _quote(value: str) -> str:
    return value if _TOKEN.match(value) else '"' + value.replace('"', "") + '"'


def _multipart(subtype: str, parts: list[bytes]) -> bytes:
    if len(parts) == 1:
        return parts[0]
    boundary = "=_kustos_" + hashlib.sha256(b"".join(parts)).hexdigest()[:32]
    body = b"".join(b"--" + boundary.encode() + CRLF + part + CRLF for part in parts)
    body += b"--" + boundary.encode() + b"--" + CRLF
    return _part([f'Content-Type: multipart/{subtype}; boundary="{boundary}"'], body)


def _attachment(att: Attachment) -> bytes:
    if att.is_message:
        encoding = "7bit" if att.data.isascii() else "8bit"
        headers = ["Content-Type: message/rfc822", f"Content-Transfer-Encoding: {encoding}"]
        disposition = "attachment" + (f"; {_param('filename', att.filename)}" if att.filename else "")
        return _part([*headers, f"Content-Disposition: {disposition}"], att.data)
    ctype = att.mime_type if "/" in att.mime_type and att.mime_type.isascii() else "application/octet-stream"
    if att.filename:
        ctype += f"; {_param('name', att.filename)}"
    disposition = "inline" if att.inline else "attachment"
    if att.filename:
        disposition += f"; {_param('filename', att.filename)}"
    headers = [
        f"Content-Type: {ctype}",
        "Content-Transfer-Encoding: base64",
        f"Content-Disposition: {disposition}",
    ]
    if att.content_id and att.content_id.isascii():
        headers.append(f"Content-ID: <{att.content_id.strip('<>')}>")
    return _part(headers, _b64(att.data))


def _body(content: MapiContent) -> bytes:
    alternatives: list[bytes] = []
    if content.plain is not None:
        alternatives.append(_text("plain", content.plain.encode("utf-8"), "utf-8"))
    if content.html is not None:
        alternatives.append(_text("html", content.html, content.html_charset))
    elif content.rtf is not None:
        alternatives.append(_text("rtf", content.rtf, None))
    if not alternatives:
        alternatives.append(_text("plain", b"", "utf-8"))
    body = _multipart("alternative", alternatives)
    html = content.html or b""
    related = [
        a for a in content.attachments if a.content_id and b"cid:" + a.content_id.strip("<>").encode() in html
    ]
    related_ids = {id(a) for a in related}
    mixed = [a for a in content.attachments if id(a) not in related_ids]
    if related:
        body = _multipart("related", [body, *(_attachment(a) for a in related)])
    if mixed:
        body = _multipart("mixed", [body, *(_attachment(a) for a in mixed)])
    return body
