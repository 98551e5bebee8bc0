"""A fast, lenient MIME tree parser working on bytes.

Why not ``email.parser``: its feedparser walks every line in Python and compiles a
regex per boundary; it caps us near 400 msg/s, and ingest needs well over 1,000.
Here headers are read one regex match per field, and bodies are never copied:
every part is a span (offsets) of the one message buffer, multipart boundaries are
located with ``bytes.find`` within the span, and transfer decoding is done lazily by
``binascii`` (only a prefix when text extraction needs no more). Tolerance follows
the stdlib's compat32 behaviour (a line that is not a header ends the header block;
a multipart without its boundary is kept as text; a missing close delimiter ends the
part at the end of the data) and every tolerated problem is recorded in ``defects``
with the stdlib's defect names, plus our own when a limit of :class:`Limits` stops
parsing (``MimeNestingTooDeep``, ``TooManyParts``, ``TooManyHeaderFields``,
``HeaderTooLong``, ``NestedMessageNotDecoded``); the rest is then kept as one
opaque part (``Part.opaque`` says why).
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Iterator

from .limits import DEFAULT_LIMITS, Limits
from .params import parse_params

_HEADER_NAME = re.compile(rb"[\x21-\x39\x3b-\x7e]+")
_B64_JUNK = re.compile(rb"[^A-Za-z0-9+/]")


class ParseState:
    """Budgets shared by all entities of one message (see :class:`Limits`)."""

    __slots__ = ("limits", "parts", "fields", "decode_left")

    def __init__(self, limits: Limits, size: int) -> None:
        self.limits = limits
        self.parts = 0  # entities parsed so far
        self.fields = 0  # header fields kept so far
        self.decode_left = int(size * limits.max_nested_decode_ratio)


class Part:
    """One MIME entity: headers (raw strings, 8-bit kept as surrogate escapes),
    the entity's place in its buffer, and parsed children or an encapsulated
    message.

    ``buf[start:end]`` is the entity's exact bytes, headers included, and
    ``buf[body_start:end]`` its body (still transfer-encoded). ``buf`` is the one
    buffer of the message (or of a decoded encapsulated message): nothing is
    copied per nesting level. ``opaque`` is "" for a parsed entity, else why the
    parser kept it unparsed (a limit was reached)."""

    __slots__ = (
        "headers", "buf", "start", "body_start", "end", "children", "message", "defects",
        "content_type", "params", "opaque", "_index",
    )  # fmt: skip

    def __init__(
        self,
        headers: list[tuple[str, str]],
        buf: bytes,
        span: tuple[int, int, int],
        default_type: str,
    ) -> None:
        self.headers = headers
        self.buf = buf
        self.start, self.body_start, self.end = span
        self.children: list[Part] | None = None
        self.message: Part | None = None
        self.defects: list[str] = []
        self.opaque = ""
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

    @property
    def size(self) -> int:
        """Length of the entity's exact bytes, headers included."""
        return self.end - self.start

    def body_view(self) -> memoryview:
        """The (still transfer-encoded) body, without copying it."""
        return memoryview(self.buf)[self.body_start : self.end]

    def decoded(self, limit: int | None = None) -> bytes:
        """The body with its Content-Transfer-Encoding undone (unknown encodings and
        undecodable data are returned as they are).

        With ``limit``, at most that many leading bytes, and only about as much of
        the body is decoded as they need (for text extraction of huge parts)."""
        cte = self.get("content-transfer-encoding")
        if limit is None or self.end - self.body_start <= limit:
            return decode_transfer(self.body_view(), cte)
        return decode_prefix(self.body_view(), cte, limit)

    def decoded_size(self) -> int:
        """Length of :meth:`decoded`, computed without holding the decoded body:
        large base64 / quoted-printable bodies are decoded chunk by chunk."""
        cte = self.get("content-transfer-encoding").strip().lower()
        size = self.end - self.body_start
        if cte in _IDENTITY:
            return size
        if size <= _CHUNK or cte not in ("base64", "quoted-printable"):
            return len(self.decoded())
        return sum(len(decode_transfer(piece, cte)) for piece in _line_chunks(self.body_view()))


_IDENTITY = ("", "7bit", "8bit", "binary")


def decode_transfer(body: bytes | memoryview, encoding: str) -> bytes:
    """``body`` with the transfer encoding ``encoding`` undone (a new bytes object)."""
    cte = encoding.strip().lower()
    if cte in _IDENTITY:
        return bytes(body)
    try:
        if cte == "base64":
            return _b64(body)
        if cte == "quoted-printable":
            return binascii.a2b_qp(body)
        if cte in ("x-uuencode", "uuencode", "x-uue", "uue"):
            return _uu(bytes(body))
    except (binascii.Error, ValueError):
        return bytes(body)
    return bytes(body)


_CHUNK = 1 << 20


def _line_chunks(body: memoryview) -> Iterator[memoryview]:
    """``body`` in pieces of about ``_CHUNK`` bytes, each ending at a line end
    (so no base64 quantum or QP escape is split)."""
    pos, size = 0, len(body)
    while pos < size:
        cut = pos + _CHUNK
        if cut >= size:
            cut = size
        else:
            eol = bytes(body[cut : cut + 4096]).find(b"\n")
            cut = cut + eol + 1 if eol != -1 else cut
        yield body[pos:cut]
        pos = cut


def decode_prefix(body: memoryview, encoding: str, limit: int) -> bytes:
    """The first ``limit`` decoded bytes of ``body``, decoding only a prefix of it.

    The prefix is cut at a line end (so no base64 quantum or QP escape is split)
    and doubled until it yields enough bytes; the work is at most about twice
    that of decoding exactly the bytes needed."""
    cte = encoding.strip().lower()
    if cte in _IDENTITY:
        return bytes(body[:limit])
    if cte not in ("base64", "quoted-printable"):
        return decode_transfer(body, encoding)[:limit]
    size = len(body)
    take = limit * 4 // 3 + 4096 if cte == "base64" else limit + 4096
    while True:
        if take >= size:
            return decode_transfer(body, encoding)[:limit]
        low = max(take - 4096, 0)
        eol = bytes(body[low:take]).rfind(b"\n")
        cut = low + eol + 1 if eol != -1 else take - take % 4
        out = decode_transfer(body[:cut], encoding)
        if len(out) >= limit:
            return out[:limit]
        take *= 2


def _b64(body: bytes | memoryview) -> bytes:
    try:
        return binascii.a2b_base64(body)
    except binascii.Error:
        clean = _B64_JUNK.sub(b"", bytes(body))
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
_NON_SPACE = re.compile(rb"\S")


def _header_end(data: bytes, pos: int, end: int) -> int:
    """Offset of the blank line ending the header block (``end`` if none)."""
    if data.startswith(b"\n", pos, end) or data.startswith(b"\r\n", pos, end):
        return pos
    lf = data.find(b"\n\n", pos, end)
    crlf = data.find(b"\n\r\n", pos, end if lf == -1 else lf + 2)  # only before the first "\n\n"
    ends = [i + 1 for i in (lf, crlf) if i != -1]
    return min(ends) if ends else end


def _field(data: bytes, match: re.Match[bytes], cap: int, defects: list[str]) -> tuple[str, str]:
    begin, stop = match.span(2)
    if stop - begin > cap:  # sliced before copying: a 20 MB field costs only ``cap``
        stop = begin + cap
        if "HeaderTooLong" not in defects:
            defects.append("HeaderTooLong")
    elif stop > begin and data[stop - 1] == 13:  # "\r"
        stop -= 1
    return match.group(1).decode("ascii"), data[begin:stop].decode("ascii", "surrogateescape")


def split_headers(
    data: bytes, defects: list[str], start: int = 0, end: int | None = None, state: ParseState | None = None
) -> tuple[list[tuple[str, str]], int]:
    """Parse the header block of ``data[start:end]``; return the headers and the
    offset where the body starts.

    One regex match per header field (folded lines included), so the cost does not
    grow with the number of physical lines. With ``state``, fields beyond the
    message's ``max_header_fields`` are skipped and values are cut at
    ``max_header_bytes``.
    """
    stop = len(data) if end is None else end
    limits = state.limits if state is not None else DEFAULT_LIMITS
    room = limits.max_header_fields - (state.fields if state is not None else 0)
    cap = limits.max_header_bytes
    headers: list[tuple[str, str]] = []
    pos = start
    if data.startswith(b"From ", pos, stop):  # mbox separator / unixfrom line
        eol = data.find(b"\n", pos, stop)
        pos = stop if eol == -1 else eol + 1
    hend = _header_end(data, pos, stop)
    for found in _HEADER_FIELD.finditer(data, pos, hend):  # fast path: a clean block
        if found.start() != pos or len(headers) >= room:
            break
        headers.append(_field(data, found, cap, defects))
        pos = found.end()
    while pos < hend:  # slow path: only after an irregular line
        if len(headers) >= room:
            defects.append("TooManyHeaderFields")
            break
        match = _HEADER_FIELD.match(data, pos, hend)
        if match is not None:
            headers.append(_field(data, match, cap, defects))
            pos = match.end()
            continue
        cont = _CONTINUATION.match(data, pos, hend)
        if cont is not None:  # continuation with no field before it
            if "FirstHeaderLineIsContinuationDefect" not in defects:
                defects.append("FirstHeaderLineIsContinuationDefect")
            pos = cont.end()
            continue
        if data.startswith(b"From ", pos, hend):  # stray unixfrom inside the headers
            eol = data.find(b"\n", pos, hend)
            pos = hend if eol == -1 else eol + 1
            continue
        defects.append("MissingHeaderBodySeparatorDefect")
        _count_fields(state, headers)
        return headers, pos
    _count_fields(state, headers)
    # Skip the blank line itself.
    if data.startswith(b"\r\n", hend, stop):
        return headers, hend + 2
    if data.startswith(b"\n", hend, stop):
        return headers, hend + 1
    return headers, hend


def _count_fields(state: ParseState | None, headers: list[tuple[str, str]]) -> None:
    if state is not None:
        state.fields += len(headers)


def _delimiters(body: bytes, boundary: bytes, start: int, end: int) -> list[tuple[int, int, bool]]:
    """(line start, next line start, is_close) for each boundary line of
    ``body[start:end]`` (offsets into ``body``)."""
    delim = b"--" + boundary
    found: list[tuple[int, int, bool]] = []
    idx = body.find(delim, start, end)
    while idx != -1:
        if idx == start or body[idx - 1] == 10:
            after = idx + len(delim)
            eol = body.find(b"\n", after, end)
            stop = end if eol == -1 else eol
            rest = body[after : min(stop, after + 1024)].rstrip(b"\r")
            close = rest.startswith(b"--")
            if stop - after <= 1024 and not (rest[2:] if close else rest).strip(b" \t"):
                found.append((idx, end if eol == -1 else eol + 1, close))
                if close:
                    break
        idx = body.find(delim, idx + 1, end)
    return found


def _line_break_before(body: bytes, idx: int, start: int) -> int:
    """Start of the line break that precedes a delimiter (it belongs to the delimiter)."""
    if idx > start and body[idx - 1] == 10:
        idx -= 1
        if idx > start and body[idx - 1] == 13:
            idx -= 1
    return idx


_EMLX = re.compile(rb"(\d{1,12})[ \t]*\r?\n(?=[\x21-\x39\x3b-\x7e]+:)")


def emlx_span(raw: bytes) -> tuple[int, int] | None:
    """Apple Mail .emlx: a byte-count line, the message, a plist trailer. The span
    of the counted bytes (keeping the plist out of the body), or None."""
    match = _EMLX.match(raw)
    if match is None:
        return None
    return match.end(), min(match.end() + int(match.group(1)), len(raw))


def parse_tree(raw: bytes, limits: Limits | None = None) -> tuple[Part, bool]:
    """The MIME tree of a whole message (an .emlx envelope is looked through);
    also whether it was an .emlx file."""
    span = emlx_span(raw)
    start, end = span if span is not None else (0, len(raw))
    state = ParseState(limits or DEFAULT_LIMITS, end - start)
    return parse_entity(raw, "text/plain", 0, state, start, end), span is not None


def parse_entity(
    data: bytes,
    default_type: str = "text/plain",
    level: int = 0,
    state: ParseState | None = None,
    start: int = 0,
    end: int | None = None,
) -> Part:
    """Parse one entity, ``data[start:end]`` (a whole message, a body part, an
    encapsulated message). ``state`` carries the message's budgets (shared by the
    recursion), which bound the work and memory any message can cause."""
    end = len(data) if end is None else end
    state = state if state is not None else ParseState(DEFAULT_LIMITS, end - start)
    state.parts += 1
    if data.find(b"\n", start, end) == -1 and data.find(b"\r", start, end) != -1:  # old Mac line endings
        data, start, end = data[start:end].replace(b"\r", b"\n"), 0, end - start
    defects: list[str] = []
    headers, offset = split_headers(data, defects, start, end, state)
    part = Part(headers, data, (start, offset, end), default_type)
    part.defects = defects
    if level >= state.limits.max_mime_depth:
        if part.maintype in ("multipart", "message"):
            defects.append("MimeNestingTooDeep")
            part.opaque = f"MIME nesting deeper than {state.limits.max_mime_depth}"
        return part
    if part.maintype == "multipart":
        _split_multipart(part, level, state)
    elif part.content_type in ("message/rfc822", "message/global") and _NON_SPACE.search(data, offset, end):
        _encapsulated(part, level, state)
    return part


def _encapsulated(part: Part, level: int, state: ParseState) -> None:
    """Parse the message inside a message/rfc822 part: in place when it is sent
    unencoded (as RFC 2046 requires), else from a decoded copy within the budget."""
    if part.get("content-transfer-encoding").strip().lower() in _IDENTITY:
        part.message = parse_entity(part.buf, "text/plain", level + 1, state, part.body_start, part.end)
        return
    if part.end - part.body_start > state.decode_left:
        part.defects.append("NestedMessageNotDecoded")
        part.opaque = "encoded nested messages exceed the decoding budget"
        return
    inner = part.decoded()
    state.decode_left -= len(inner)
    part.message = parse_entity(inner, "text/plain", level + 1, state)


def _split_multipart(part: Part, level: int, state: ParseState) -> None:
    boundary = part.params.get("boundary", "")
    if not boundary:
        part.defects.append("NoBoundaryInMultipartDefect")
        return
    body, begin_body, end = part.buf, part.body_start, part.end
    found = _delimiters(body, boundary.encode("utf-8", "surrogateescape"), begin_body, end)
    if not found:
        part.defects.append("StartBoundaryNotFoundDefect")
        return
    child_type = "message/rfc822" if part.content_type == "multipart/digest" else "text/plain"
    children = []
    for (_start, begin, close), nxt in zip(found, found[1:] + [None], strict=True):
        if close:
            break
        if state.parts >= state.limits.max_parts:
            rest = Part([], body, (begin, begin, end), "application/octet-stream")
            rest.opaque = f"more than {state.limits.max_parts} MIME parts"
            children.append(rest)
            part.defects.append("TooManyParts")
            break
        stop = end if nxt is None else _line_break_before(body, nxt[0], begin)
        children.append(parse_entity(body, child_type, level + 1, state, begin, stop))
    if not found[-1][2] and "TooManyParts" not in part.defects:
        part.defects.append("CloseBoundaryNotFoundDefect")
    part.children = children
