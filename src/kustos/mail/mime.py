"""A fast, lenient MIME tree parser working on bytes.

Why not ``email.parser``: its feedparser walks every line in Python and compiles a
regex per boundary; it caps us near 400 msg/s, and ingest needs well over 1,000.
Here headers are read line by line (they are short) but bodies are only sliced:
multipart boundaries are located with ``bytes.find`` and transfer decoding is done
lazily by ``binascii``. Tolerance follows the stdlib's compat32 behaviour (a line
that is not a header ends the header block; a multipart without its boundary is
kept as text; a missing close delimiter ends the part at the end of the data) and
every tolerated problem is recorded in ``defects`` with the stdlib's defect names.
"""

from __future__ import annotations

import binascii
import re

from .params import parse_params

MAX_MIME_DEPTH = 64  # deeper multiparts / message parts are kept as opaque leaves
MAX_PARTS = 5000  # per message; beyond it the rest of a multipart stays one opaque part

_HEADER_NAME = re.compile(rb"[\x21-\x39\x3b-\x7e]+")
_B64_JUNK = re.compile(rb"[^A-Za-z0-9+/]")


class Part:
    """One MIME entity: headers (raw strings, 8-bit kept as surrogate escapes),
    body bytes (still transfer-encoded), and parsed children or an encapsulated
    message. ``raw`` is the entity's exact bytes, headers included."""

    __slots__ = (
        "headers", "body", "raw", "children", "message", "defects",
        "content_type", "params", "_index",
    )  # fmt: skip

    def __init__(self, headers: list[tuple[str, str]], body: bytes, raw: bytes, default_type: str) -> None:
        self.headers = headers
        self.body = body
        self.raw = raw
        self.children: list[Part] | None = None
        self.message: Part | None = None
        self.defects: list[str] = []
        self._index: dict[str, str] = {}
        for name, value in headers:
            self._index.setdefault(name.lower(), value)
        ctype, self.params = parse_params(self._index.get("content-type", ""))
        if " " in ctype or "\t" in ctype:  # 'application/pdf name="x.pdf"' (no ";")
            ctype = ctype.split()[0]
        if ctype.count("/") != 1 or not ctype.split("/")[0] or not ctype.split("/")[1]:
            ctype = default_type
        self.content_type = ctype

    def get(self, name: str, default: str = "") -> str:
        """First raw value of header ``name`` (case-insensitive), or ``default``."""
        return self._index.get(name.lower(), default)

    @property
    def maintype(self) -> str:
        return self.content_type.split("/", 1)[0]

    def decoded(self) -> bytes:
        """The body with its Content-Transfer-Encoding undone (unknown encodings and
        undecodable data are returned as they are)."""
        return decode_transfer(self.body, self.get("content-transfer-encoding"))


def decode_transfer(body: bytes, encoding: str) -> bytes:
    cte = encoding.strip().lower()
    try:
        if cte == "base64":
            return _b64(body)
        if cte == "quoted-printable":
            return binascii.a2b_qp(body)
        if cte in ("x-uuencode", "uuencode", "x-uue", "uue"):
            return _uu(body)
    except (binascii.Error, ValueError):
        return body
    return body


def _b64(body: bytes) -> bytes:
    try:
        return binascii.a2b_base64(body)
    except binascii.Error:
        clean = _B64_JUNK.sub(b"", body)
        if len(clean) % 4 == 1:
            clean = clean[:-1]
        return binascii.a2b_base64(clean + b"=" * (-len(clean) % 4))


def _uu(body: bytes) -> bytes:
    out = []
    started = False
    for line in body.splitlines():
        if not started:
            started = line.startswith(b"begin ")
            continue
        if line.strip() in (b"end", b"`"):
            break
        try:
            out.append(binascii.a2b_uu(line))
        except binascii.Error:
            # Some encoders write too few pad bytes; the length byte tells us.
            nbytes = (((line[0] - 32) & 63) * 4 + 5) // 3 if line else 0
            out.append(binascii.a2b_uu(line[:nbytes]))
    return b"".join(out)


_HEADER_FIELD = re.compile(rb"([\x21-\x39\x3b-\x7e]+)[ \t]*:[ \t]*([^\n]*(?:\n[ \t][^\n]*)*)(?:\n|\Z)")
_CONTINUATION = re.compile(rb"[ \t][^\n]*(?:\n|\Z)")


def _header_end(data: bytes, pos: int) -> int:
    """Offset of the blank line ending the header block (len(data) if none)."""
    if data.startswith(b"\n", pos) or data.startswith(b"\r\n", pos):
        return pos
    ends = [i + 1 for i in (data.find(b"\n\n", pos), data.find(b"\n\r\n", pos)) if i != -1]
    return min(ends) if ends else len(data)


def _field(match: re.Match[bytes]) -> tuple[str, str]:
    value = match.group(2)
    if value.endswith(b"\r"):
        value = value[:-1]
    return match.group(1).decode("ascii"), value.decode("ascii", "surrogateescape")


def split_headers(data: bytes, defects: list[str]) -> tuple[list[tuple[str, str]], int]:
    """Parse the header block; return headers and the offset where the body starts.

    One regex match per header field (folded lines included), so the cost does not
    grow with the number of physical lines.
    """
    headers: list[tuple[str, str]] = []
    pos = 0
    if data.startswith(b"From "):  # mbox separator / unixfrom line
        eol = data.find(b"\n")
        pos = len(data) if eol == -1 else eol + 1
    end = _header_end(data, pos)
    for found in _HEADER_FIELD.finditer(data, pos, end):  # fast path: a clean block
        if found.start() != pos:
            break
        headers.append(_field(found))
        pos = found.end()
    while pos < end:  # slow path: only after an irregular line
        match = _HEADER_FIELD.match(data, pos, end)
        if match is not None:
            headers.append(_field(match))
            pos = match.end()
            continue
        cont = _CONTINUATION.match(data, pos, end)
        if cont is not None:  # continuation with no field before it
            if "FirstHeaderLineIsContinuationDefect" not in defects:
                defects.append("FirstHeaderLineIsContinuationDefect")
            pos = cont.end()
            continue
        if data.startswith(b"From ", pos):  # stray unixfrom inside the headers
            eol = data.find(b"\n", pos, end)
            pos = end if eol == -1 else eol + 1
            continue
        defects.append("MissingHeaderBodySeparatorDefect")
        return headers, pos
    # Skip the blank line itself.
    if data.startswith(b"\r\n", end):
        return headers, end + 2
    if data.startswith(b"\n", end):
        return headers, end + 1
    return headers, end


def _delimiters(body: bytes, boundary: bytes) -> list[tuple[int, int, bool]]:
    """(line start, next line start, is_close) for each boundary line of ``body``."""
    delim = b"--" + boundary
    found: list[tuple[int, int, bool]] = []
    idx = body.find(delim)
    size = len(body)
    while idx != -1:
        if idx == 0 or body[idx - 1] == 10:
            after = idx + len(delim)
            eol = body.find(b"\n", after)
            stop = size if eol == -1 else eol
            rest = body[after:stop].rstrip(b"\r")
            close = rest.startswith(b"--")
            if not (rest[2:] if close else rest).strip(b" \t"):
                found.append((idx, size if eol == -1 else eol + 1, close))
                if close:
                    break
        idx = body.find(delim, idx + 1)
    return found


def _line_break_before(body: bytes, idx: int) -> int:
    """Start of the line break that precedes a delimiter (it belongs to the delimiter)."""
    if idx > 0 and body[idx - 1] == 10:
        idx -= 1
        if idx > 0 and body[idx - 1] == 13:
            idx -= 1
    return idx


_EMLX = re.compile(rb"(\d{1,12})[ \t]*\r?\n(?=[\x21-\x39\x3b-\x7e]+:)")


def strip_emlx(raw: bytes) -> tuple[bytes, bool]:
    """Apple Mail .emlx: a byte-count line, the message, a plist trailer. Reading
    only the counted bytes keeps the plist out of the body."""
    match = _EMLX.match(raw)
    if match is None:
        return raw, False
    return raw[match.end() : match.end() + int(match.group(1))], True


def parse_entity(
    data: bytes, default_type: str = "text/plain", level: int = 0, count: list[int] | None = None
) -> Part:
    """Parse one entity (a whole message, a body part, an encapsulated message).

    ``count`` is the number of entities parsed so far in this message (shared by
    the recursion), which bounds the work a message with countless parts causes.
    """
    count = count if count is not None else [0]
    count[0] += 1
    if b"\n" not in data and b"\r" in data:  # old Mac line endings
        data = data.replace(b"\r", b"\n")
    defects: list[str] = []
    headers, offset = split_headers(data, defects)
    part = Part(headers, data[offset:], data, default_type)
    part.defects = defects
    if level >= MAX_MIME_DEPTH:
        if part.maintype in ("multipart", "message"):
            defects.append("MimeNestingTooDeep")
        return part
    if part.maintype == "multipart":
        _split_multipart(part, level, count)
    elif part.content_type in ("message/rfc822", "message/global") and part.body.strip():
        part.message = parse_entity(part.decoded(), "text/plain", level + 1, count)
    return part


def _split_multipart(part: Part, level: int, count: list[int]) -> None:
    boundary = part.params.get("boundary", "")
    if not boundary:
        part.defects.append("NoBoundaryInMultipartDefect")
        return
    body = part.body
    found = _delimiters(body, boundary.encode("utf-8", "surrogateescape"))
    if not found:
        part.defects.append("StartBoundaryNotFoundDefect")
        return
    child_type = "message/rfc822" if part.content_type == "multipart/digest" else "text/plain"
    children = []
    for (_start, begin, close), nxt in zip(found, found[1:] + [None], strict=True):
        if close:
            break
        if count[0] >= MAX_PARTS:
            children.append(Part([], body[begin:], body[begin:], "application/octet-stream"))
            part.defects.append("TooManyParts")
            break
        stop = len(body) if nxt is None else _line_break_before(body, nxt[0])
        children.append(parse_entity(body[begin:stop], child_type, level + 1, count))
    if not found[-1][2] and "TooManyParts" not in part.defects:
        part.defects.append("CloseBoundaryNotFoundDefect")
    part.children = children
