"""Byte-exact MIME navigation for FETCH sections, ENVELOPE and BODYSTRUCTURE.

Parts are cut out of the original bytes (never re-serialised), so ``BODY[]`` and every section are
slices of what the archive stores.
"""

from __future__ import annotations

import re
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses

from kustos.imapd.protocol import nstring, quote

MAX_PARTS = 500
MAX_NESTING = 20
_HEADER_END = re.compile(rb"\r?\n\r?\n")


def split_header(raw: bytes) -> tuple[bytes, bytes]:
    """(header including the blank line, body)."""
    if raw.startswith((b"\r\n", b"\n")):
        n = 2 if raw.startswith(b"\r\n") else 1
        return raw[:n], raw[n:]
    m = _HEADER_END.search(raw)
    if m is None:
        return raw, b""
    return raw[:m.end()], raw[m.end():]


def headers(raw: bytes) -> Message:
    return BytesHeaderParser(policy=compat32).parsebytes(split_header(raw)[0])


def _content_type(msg: Message) -> tuple[str, str]:
    ctype = (msg.get_content_type() or "text/plain").lower()
    main, _, sub = ctype.partition("/")
    return main or "text", sub or "plain"


def subparts(raw: bytes, msg: Message | None = None) -> list[bytes]:
    """The body parts of a multipart entity (bytes between the boundary lines), else []."""
    msg = msg or headers(raw)
    main, _ = _content_type(msg)
    boundary = msg.get_param("boundary") if main == "multipart" else None
    if not boundary or not isinstance(boundary, str):
        return []
    body = split_header(raw)[1]
    delim = re.compile(rb"(?:^|\r?\n)--" + re.escape(boundary.encode("utf-8", "surrogateescape"))
                       + rb"(--)?[ \t]*(?:\r?\n|$)")
    parts: list[bytes] = []
    start = None
    for m in delim.finditer(body):
        if start is not None:
            parts.append(body[start:m.start()])
            if len(parts) >= MAX_PARTS:
                break
        if m.group(1):  # the close delimiter
            start = None
            break
        start = m.end()
    if start is not None:
        parts.append(body[start:])
    return parts


def _encapsulated(raw: bytes, msg: Message) -> bytes | None:
    return split_header(raw)[1] if _content_type(msg) == ("message", "rfc822") else None


def _descend(raw: bytes, numbers: list[int]) -> bytes | None:
    """The entity (MIME header + body) a part path names; a single-part message's part 1 is itself."""
    entity = raw
    for depth, n in enumerate(numbers):
        if depth > MAX_NESTING or n < 1:
            return None
        msg = headers(entity)
        inner = _encapsulated(entity, msg) if depth > 0 else None
        if inner is not None:  # the parts of a message/rfc822 part are those of the message inside
            entity, msg = inner, headers(inner)
        parts = subparts(entity, msg)
        if parts:
            if n > len(parts):
                return None
            entity = parts[n - 1]
        elif n != 1:
            return None
    return entity


def section_bytes(raw: bytes, section: str) -> bytes | None:
    """The bytes of a FETCH section (``""``, ``HEADER``, ``TEXT``, ``1.2``, ``1.MIME``,
    ``HEADER.FIELDS (A B)``, ``1.HEADER.FIELDS.NOT (C)``); None when the part does not exist."""
    m = re.match(r"((?:\d+\.)*\d+)?\.?(.*)$", section.strip(), re.S)
    if m is None:
        return None
    numbers = [int(n) for n in m.group(1).split(".")] if m.group(1) else []
    what = m.group(2).strip().upper()
    entity = _descend(raw, numbers) if numbers else raw
    if entity is None:
        return None
    if numbers:
        if what == "":
            return split_header(entity)[1]
        if what == "MIME":
            return split_header(entity)[0]
        inner = _encapsulated(entity, headers(entity))
        if inner is None:
            return None
        entity = inner
    if what == "":
        return entity
    head, body = split_header(entity)
    if what == "HEADER":
        return head
    if what == "TEXT":
        return body
    fm = re.match(r"HEADER\.FIELDS(\.NOT)?\s*\((.*)\)$", what, re.S)
    if fm:
        names = {n.strip('"').lower() for n in fm.group(2).split()}
        return _header_fields(head, names, exclude=bool(fm.group(1)))
    return None


def _header_fields(head: bytes, names: set[str], exclude: bool) -> bytes:
    out = []
    fields = re.split(rb"\r?\n(?=[^ \t])", head.rstrip(b"\r\n"))
    for field in fields:
        name = field.split(b":", 1)[0].strip().decode("ascii", "replace").lower()
        if not field.strip() or (name in names) == exclude:
            continue
        out.append(field.rstrip(b"\r\n") + b"\r\n")
    return b"".join(out) + b"\r\n"


def _hv(msg: Message, name: str) -> str | None:
    value = msg.get(name)
    if value is None:
        return None
    return re.sub(r"\r?\n[ \t]", " ", str(value)).strip()


def _addresses(msg: Message, name: str) -> bytes:
    values = msg.get_all(name)
    if not values:
        return b"NIL"
    items = []
    for display, addr in getaddresses([str(v) for v in values])[:200]:
        if not addr and not display:
            continue
        local, _, host = addr.rpartition("@") if "@" in addr else (addr, "", "")
        items.append(b"(" + nstring(display or None) + b" NIL " + nstring(local or None) + b" "
                     + nstring(host or None) + b")")
    return b"(" + b"".join(items) + b")" if items else b"NIL"


def envelope(raw: bytes) -> bytes:
    msg = headers(raw)
    sender = "sender" if msg.get("sender") else "from"
    reply = "reply-to" if msg.get("reply-to") else "from"
    fields = [nstring(_hv(msg, "date")), nstring(_hv(msg, "subject")), _addresses(msg, "from"),
              _addresses(msg, sender), _addresses(msg, reply), _addresses(msg, "to"), _addresses(msg, "cc"),
              _addresses(msg, "bcc"), nstring(_hv(msg, "in-reply-to")), nstring(_hv(msg, "message-id"))]
    return b"(" + b" ".join(fields) + b")"


def _params(msg: Message, header: str) -> bytes:
    params = msg.get_params(header=header) or []
    pairs = [(k, v) for k, v in params[1:] if k] if params else []
    if not pairs:
        return b"NIL"
    out = []
    for key, value in pairs[:50]:
        if isinstance(value, tuple):  # RFC 2231
            value = value[2]
        out.append(quote(key.upper()) + b" " + quote(str(value)))
    return b"(" + b" ".join(out) + b")"


def bodystructure(raw: bytes, depth: int = 0) -> bytes:
    """BODYSTRUCTURE (non-extensible fields only), cut from the original bytes."""
    msg = headers(raw)
    main, sub = _content_type(msg)
    parts = subparts(raw, msg) if main == "multipart" and depth < MAX_NESTING else []
    if parts:
        return b"(" + b"".join(bodystructure(p, depth + 1) for p in parts) + b" " + quote(sub.upper()) + b")"
    body = split_header(raw)[1]
    encoding = (_hv(msg, "content-transfer-encoding") or "7BIT").upper()
    fields = [quote(main.upper()), quote(sub.upper()),
              _params(msg, "content-type") if msg.get("content-type") else b'("CHARSET" "US-ASCII")',
              nstring(_hv(msg, "content-id")), nstring(_hv(msg, "content-description")), quote(encoding),
              str(len(body)).encode()]
    if (main, sub) == ("message", "rfc822") and depth < MAX_NESTING:
        fields += [envelope(body), bodystructure(body, depth + 1), str(body.count(b"\n")).encode()]
    elif main == "text":
        fields.append(str(body.count(b"\n")).encode())
    return b"(" + b" ".join(fields) + b")"
