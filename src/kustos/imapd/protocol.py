"""IMAP syntax: command tokens (atoms, strings, literals, lists), quoting, sequence sets,
modified UTF-7 mailbox names and dates (RFC 3501)."""

from __future__ import annotations

import base64
import bisect
import re
from datetime import UTC, date, datetime

LITERAL_AT_END = re.compile(rb"\{(\d{1,10})(\+?)\}\r?\n$")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MAX_DEPTH = 20


class ParseError(ValueError):
    """Malformed command text; the message is sent back in a BAD response."""


class Atom(str):
    """An unquoted token (command names, search keys, fetch items, sequence sets)."""


Token = Atom | bytes | list


def tokenize(data: bytes) -> list[Token]:
    """All tokens of one command (after the tag and name); strings and literals are bytes."""
    tokens, pos = _parse_list(data, 0, b"", 0)
    return tokens


def _parse_list(data: bytes, pos: int, close: bytes, depth: int) -> tuple[list[Token], int]:
    if depth > MAX_DEPTH:
        raise ParseError("parentheses nested too deeply")
    out: list[Token] = []
    n = len(data)
    while True:
        while pos < n and data[pos:pos + 1] == b" ":
            pos += 1
        if pos >= n or data[pos:pos + 1] in (b"\r", b"\n"):
            if close:
                raise ParseError("missing ')'")
            return out, n
        ch = data[pos:pos + 1]
        if ch == b"(":
            inner, pos = _parse_list(data, pos + 1, b")", depth + 1)
            out.append(inner)
        elif ch == b")":
            if not close:
                raise ParseError("unexpected ')'")
            return out, pos + 1
        elif ch == b'"':
            value, pos = _quoted(data, pos + 1)
            out.append(value)
        elif ch == b"{":
            value, pos = _literal(data, pos)
            out.append(value)
        else:
            word, pos = _atom(data, pos)
            out.append(Atom(word))


def _quoted(data: bytes, pos: int) -> tuple[bytes, int]:
    out = bytearray()
    while pos < len(data):
        ch = data[pos]
        if ch == 0x5C:  # backslash
            if pos + 1 >= len(data):
                break
            out.append(data[pos + 1])
            pos += 2
            continue
        if ch == 0x22:
            return bytes(out), pos + 1
        if ch in (0x0D, 0x0A):
            break
        out.append(ch)
        pos += 1
    raise ParseError("unterminated quoted string")


def _literal(data: bytes, pos: int) -> tuple[bytes, int]:
    m = re.compile(rb"\{(\d{1,10})\+?\}\r?\n").match(data, pos)
    if not m:
        raise ParseError("malformed literal")
    size = int(m.group(1))
    start = m.end()
    if start + size > len(data):
        raise ParseError("literal shorter than announced")
    return data[start:start + size], start + size


def _atom(data: bytes, pos: int) -> tuple[str, int]:
    """An atom; brackets (``BODY[HEADER.FIELDS (A B)]<0.10>``) may contain spaces and parentheses."""
    start = pos
    depth = 0
    while pos < len(data):
        ch = data[pos:pos + 1]
        if ch == b"[":
            depth += 1
        elif ch == b"]":
            depth = max(0, depth - 1)
        elif depth == 0 and ch in (b" ", b"(", b")", b"\r", b"\n", b'"', b"{"):
            if ch in (b"(", b")", b'"', b"{") and pos == start:
                raise ParseError("unexpected character")
            break
        elif ch in (b"\r", b"\n"):
            raise ParseError("unterminated '['")
        pos += 1
    if depth:
        raise ParseError("unterminated '['")
    try:
        return data[start:pos].decode("ascii"), pos
    except UnicodeDecodeError:
        raise ParseError("8-bit characters in an atom") from None


def split_command(line: bytes) -> tuple[str, str, bytes]:
    """(tag, upper-case command name, rest) of a command; the tag may be anything printable but ``+``."""
    m = re.match(rb"([\x21-\x7e]{1,64}) ([A-Za-z]{1,32})(?: |\r?\n|$)", line)
    if not m:
        raise ParseError("expected: tag command [arguments]")
    tag = m.group(1).decode("ascii")
    if any(c in tag for c in '(){%*"\\+') :
        raise ParseError("invalid tag")
    return tag, m.group(2).decode("ascii").upper(), line[m.end():]


def text(token: Token) -> str:
    """An astring (atom, quoted or literal) as text (UTF-8, invalid bytes replaced)."""
    if isinstance(token, list):
        raise ParseError("expected a string, got a list")
    if isinstance(token, bytes):
        return token.decode("utf-8", "replace")
    return str(token)


def quote(value: str | bytes) -> bytes:
    """A quoted string, or a literal when quoting cannot carry the value (CR, LF, 8-bit, NUL)."""
    raw = value.encode("utf-8", "surrogateescape") if isinstance(value, str) else value
    if any(b > 0x7E or b in (0x0D, 0x0A, 0x00) for b in raw) or len(raw) > 1000:
        return b"{%d}\r\n" % len(raw) + raw
    return b'"' + raw.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


def nstring(value: str | bytes | None) -> bytes:
    return b"NIL" if value is None else quote(value)


def parse_seqset(spec: str, largest: int) -> set[int]:
    """The numbers a sequence set names (``1:3,7,10:*``); ``*`` is ``largest``. Bounded by ``largest``."""
    if not spec or not re.fullmatch(r"[0-9*:,]+", spec):
        raise ParseError(f"invalid sequence set {spec[:40]!r}")
    out: set[int] = set()
    for part in spec.split(","):
        bounds = part.split(":")
        if len(bounds) > 2 or not all(bounds):
            raise ParseError(f"invalid sequence set {spec[:40]!r}")
        nums = [largest if b == "*" else int(b) for b in bounds]
        if any(x == 0 and b != "*" for x, b in zip(nums, bounds, strict=True)):
            raise ParseError("0 is not a valid message number")
        low, high = min(nums), max(nums)
        if high > largest:
            high = largest
        if low <= high:
            out.update(range(max(low, 1), high + 1))
    return out


def uid_positions(spec: str, uids: list[int]) -> list[int]:
    """Indexes (ascending) into ``uids`` (ascending) of the existing UIDs a UID set names; ``*`` is
    the largest UID (RFC 3501: a range containing ``*`` always includes the last message).

    Each range is found by bisection, so a client fetching one message per command (mbsync does)
    costs O(log n) per command, not a pass over the folder."""
    if not spec or not re.fullmatch(r"[0-9*:,]+", spec):
        raise ParseError(f"invalid UID set {spec[:40]!r}")
    largest = uids[-1] if uids else 0
    found: set[int] = set()
    for part in spec.split(","):
        bounds = part.split(":")
        if len(bounds) > 2 or not all(bounds):
            raise ParseError(f"invalid UID set {spec[:40]!r}")
        nums = [largest if b == "*" else int(b) for b in bounds]
        found.update(range(bisect.bisect_left(uids, min(nums)), bisect.bisect_right(uids, max(nums))))
    return sorted(found)


def parse_uidset(spec: str, uids: list[int]) -> set[int]:
    """The existing UIDs a UID set names (see :func:`uid_positions`)."""
    return {uids[i] for i in uid_positions(spec, uids)}


def imap_date(value: datetime) -> bytes:
    """INTERNALDATE format: ``"17-Jul-1996 02:44:25 -0700"``."""
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    offset = value.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    return (f'"{value.day:02d}-{MONTHS[value.month - 1]}-{value.year:04d} {value:%H:%M:%S} '
            f'{sign}{minutes // 60:02d}{minutes % 60:02d}"').encode()


def parse_date(token: Token) -> date:
    """A search date ``1-Feb-1994``."""
    value = text(token)
    m = re.fullmatch(r"(\d{1,2})-([A-Za-z]{3})-(\d{4})", value)
    if not m or m.group(2).title() not in MONTHS:
        raise ParseError(f"invalid date {value[:30]!r} (expected e.g. 1-Feb-2024)")
    try:
        return date(int(m.group(3)), MONTHS.index(m.group(2).title()) + 1, int(m.group(1)))
    except ValueError:
        raise ParseError(f"invalid date {value[:30]!r}") from None


# --- modified UTF-7 (RFC 3501 5.1.3) ---------------------------------------------------------------

def encode_mailbox(name: str) -> str:
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            data = "".join(pending).encode("utf-16-be")
            out.append("&" + base64.b64encode(data).decode().rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            pending.append(ch)
    flush()
    return "".join(out)


def decode_mailbox(name: str) -> str:
    def repl(m: re.Match) -> str:
        body = m.group(1)
        if not body:
            return "&"
        data = body.replace(",", "/")
        data += "=" * (-len(data) % 4)
        try:
            return base64.b64decode(data).decode("utf-16-be")
        except (ValueError, UnicodeDecodeError):
            raise ParseError("invalid modified UTF-7 in a mailbox name") from None

    return re.sub(r"&([A-Za-z0-9+,]*)-", repl, name)
