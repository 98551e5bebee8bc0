"""Content sniffing: recognise mail formats from a file's first bytes.

Sniffing decides before the extension does (a ``.msg`` file holding RFC 822 text is
imported as EML), so these checks look at structure, not names.
"""

from __future__ import annotations

import re

HEAD_BYTES = 8192
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
PST_MAGIC = b"!BDN"
UTF8_BOM = b"\xef\xbb\xbf"

# A header field name: printable ASCII except colon and space (RFC 5322 section 3.6.8).
_FIELD = re.compile(rb"^[!-9;-~]+[ \t]*:")
# Typical first header names of stored mail, to accept heads whose first line is unusual.
_KNOWN_FIELDS = re.compile(
    rb"^(received|return-path|from|to|subject|date|message-id|delivered-to|x-[!-9;-~]*|"
    rb"mime-version|content-type|reply-to|cc|sender|dkim-signature|arc-[a-z-]+|"
    rb"authentication-results|in-reply-to|references|envelope-to|x-gm-thrid|status)[ \t]*:",
    re.IGNORECASE,
)
_DATEISH = re.compile(rb"\d{1,2}:\d{2}|\b\d{4}\b")

_DESCRIPTIONS: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "a PNG image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip file"),
    (b"\xfd7zXZ", "an xz file"),
    (OLE2_MAGIC, "an OLE2 compound file"),
    (PST_MAGIC, "an Outlook PST/OST file"),
    (b"{\\rtf", "an RTF document"),
    (b"\x78\x9f\x3e\x22", "a TNEF (winmail.dat) file"),
)


def strip_bom(head: bytes) -> bytes:
    return head[len(UTF8_BOM) :] if head.startswith(UTF8_BOM) else head


def first_line(head: bytes) -> bytes:
    return head.split(b"\n", 1)[0].rstrip(b"\r")


def is_header_line(line: bytes) -> bool:
    """True if ``line`` has the shape ``Name: value`` of a header field."""
    return bool(_FIELD.match(line))


def is_from_line(line: bytes, next_line: bytes | None) -> bool:
    """True if ``line`` is an mbox ``From_`` separator.

    ``From sender date`` qualifies; ``From sender`` or ``From -`` (Thunderbird) only when
    the next line starts a header. A body line such as ``From Russia with love`` does not:
    after the sender token the rest must look like a date.
    """
    if not line.startswith(b"From "):
        return False
    rest = line[5:].strip()
    if not rest:
        return False
    parts = rest.split(None, 1)
    tail = parts[1] if len(parts) > 1 else b""
    if tail:
        return bool(_DATEISH.search(tail))
    return next_line is None or is_header_line(next_line)


def looks_like_message(head: bytes) -> bool:
    """True if ``head`` starts with RFC 5322 header fields."""
    # Leading blank space is tolerated: real exports carry it (" From: ..." after a bad cut).
    lines = strip_bom(head).lstrip(b" \t\r\n").split(b"\n", 8)
    fields = [ln.rstrip(b"\r") for ln in lines[:-1] if ln.strip()]
    if not fields or not is_header_line(fields[0]):
        return False
    if _KNOWN_FIELDS.match(fields[0]):
        return True
    # Unknown first field: accept when the following lines are header fields too.
    header_like = [f for f in fields[:6] if is_header_line(f) or f[:1] in (b" ", b"\t")]
    return len(header_like) >= min(3, len(fields)) and any(_KNOWN_FIELDS.match(f) for f in fields[:8])


def looks_like_mbox(head: bytes) -> bool:
    lines = strip_bom(head).split(b"\n", 2)
    nxt = lines[1].rstrip(b"\r") if len(lines) > 2 else None
    return is_from_line(lines[0].rstrip(b"\r"), nxt)


def looks_like_emlx(head: bytes) -> bool:
    """Apple Mail .emlx: a line with the decimal byte count, then the message."""
    line, _, rest = head.partition(b"\n")
    return line.strip().isdigit() and looks_like_message(rest)


def describe(head: bytes) -> str:
    """A short human description of what a file's first bytes look like."""
    if not head:
        return "the file is empty"
    for magic, what in _DESCRIPTIONS:
        if head.startswith(magic):
            return f"it looks like {what}"
    if b"\x00" in head[:512]:
        return f"it starts with binary bytes {head[:8].hex(' ')}"
    return "it starts with text that is not a mail header"
