"""Header decoding: RFC 2047 encoded words, addresses, dates, message ids.

Works on the raw header strings the compat32 parser keeps (``Message.raw_items``)
rather than on ``policy.default`` header objects: the latter are several times
slower and raise on inputs we must accept. Every function here returns a best-effort
value and never raises.
"""

from __future__ import annotations

import binascii
import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import getaddresses, parsedate_tz

from .charsets import decode_8bit_header, decode_bytes, decode_raw_header_bytes

# Lenient: allows "?"-free text with spaces (some mailers do not encode spaces).
_EWORD = re.compile(rb"=\?([^?\s]+)\?([QqBb])\?(.*?)\?=")
_EWORD_GAP = re.compile(rb"(\?=)[ \t]+(?==\?)")  # whitespace between adjacent words is dropped
_MSGID = re.compile(r"<[^<>\s]*>")
_B64_JUNK = re.compile(rb"[^A-Za-z0-9+/]")


def unfold(value: str) -> str:
    """Remove header folding (the parser only keeps line breaks that precede
    whitespace, so dropping CR and LF is exactly RFC 5322 unfolding)."""
    if "\n" not in value and "\r" not in value:
        return value
    return value.replace("\r", "").replace("\n", "")


def _b_decode(data: bytes) -> bytes:
    data = _B64_JUNK.sub(b"", data)
    if len(data) % 4 == 1:
        data = data[:-1]
    try:
        return binascii.a2b_base64(data + b"=" * (-len(data) % 4))
    except (binascii.Error, ValueError):
        return b""


def decode_words(value: str, hint: str | None = None) -> str:
    """Decode RFC 2047 encoded words in an (unfolded) header value.

    Works on bytes so that raw 8-bit bytes inside an encoded word (seen in the
    wild) are decoded with the word's charset, and raw 8-bit text outside words
    with UTF-8 / ``hint`` / cp1252. Adjacent encoded words in the same charset are
    joined before decoding so a multi-byte character split across words survives.
    """
    if "=?" not in value:
        return value if value.isascii() else decode_8bit_header(value, hint)
    data = _EWORD_GAP.sub(rb"\1", value.encode("utf-8", "surrogateescape"))
    out: list[str] = []
    pending: list[bytes] = []
    pending_cs = ""
    pos = 0
    for match in _EWORD.finditer(data):
        if match.start() > pos:
            if pending:
                out.append(decode_bytes(b"".join(pending), pending_cs))
                pending = []
            out.append(decode_raw_header_bytes(data[pos : match.start()], hint))
        charset = match.group(1).split(b"*", 1)[0].decode("ascii", "replace").lower()
        text = match.group(3)
        chunk = _b_decode(text) if match.group(2) in b"Bb" else binascii.a2b_qp(text, header=True)
        if pending and charset != pending_cs:
            out.append(decode_bytes(b"".join(pending), pending_cs))
            pending = []
        pending.append(chunk)
        pending_cs = charset
        pos = match.end()
    if pending:
        out.append(decode_bytes(b"".join(pending), pending_cs))
    out.append(decode_raw_header_bytes(data[pos:], hint))
    return "".join(out)


def decode_header(value: str, hint: str | None = None) -> str:
    """A raw header value as display text: unfolded, words and 8-bit decoded."""
    try:
        return decode_words(unfold(value), hint).strip()
    except Exception:  # defensive: header text is attacker-controlled
        return unfold(value).encode("utf-8", "replace").decode("utf-8").strip()


_ITEM = re.compile(r'(?:"(?:[^"\\]|\\.)*"?|[^,"])+')
_ANGLE = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|([^"<>]*?))\s*<\s*([^<>\s]*)\s*>\s*')
_BARE = re.compile(r"\s*([^\s<>\"(),;:]+)\s*")
_QUOTED_PAIR = re.compile(r"\\(.)")


def _fast_addresses(value: str) -> list[tuple[str, str]] | None:
    """The common shapes (``Name <a@b>``, ``"Last, First" <a@b>``, ``a@b``) without
    the stdlib's character-by-character parser; None means "use the full parser"
    (comments, groups, anything unusual)."""
    if "(" in value or ";" in value or ":" in value:
        return None
    out: list[tuple[str, str]] = []
    for item in _ITEM.findall(value):
        match = _ANGLE.fullmatch(item)
        if match is not None:
            quoted, plain, addr = match.groups()
            name = _QUOTED_PAIR.sub(r"\1", quoted) if quoted is not None else (plain or "")
            out.append((name.strip(), addr))
            continue
        match = _BARE.fullmatch(item)
        if match is not None:
            out.append(("", match.group(1)))
        elif item.strip():
            return None
    return out


def parse_addresses(values: list[str], hint: str | None = None) -> list[tuple[str, str]]:
    """Address-list headers -> [(display name, addr)], names decoded."""
    try:
        raw = [unfold(decode_8bit_header(v, hint)) for v in values]
        pairs: list[tuple[str, str]] = []
        for value in raw:
            fast = _fast_addresses(value)
            pairs.extend(getaddresses([value]) if fast is None else fast)
        result: list[tuple[str, str]] = []
        for name, addr in pairs:
            name = decode_words(name).strip()
            addr = addr.strip()
            if "=?" in addr:  # some senders encode the whole mailbox
                decoded = decode_words(addr)
                inner = getaddresses([decoded])
                if inner and inner[0][1]:
                    name, addr = name or inner[0][0], inner[0][1]
            if name or addr:
                result.append((name, addr))
        return result
    except Exception:  # getaddresses has raised on pathological input in the past
        return [(decode_header(v), "") for v in values]


def parse_date(value: str) -> datetime | None:
    """An RFC 5322 date as an aware datetime (no zone given -> UTC), or None."""
    try:
        parts = parsedate_tz(unfold(value))
        if parts is None:
            iso = datetime.fromisoformat(value.strip())  # some exporters write ISO 8601
            return iso if iso.tzinfo else iso.replace(tzinfo=UTC)
        offset = parts[9]
        tz = UTC if offset is None else timezone(timedelta(seconds=offset))
        return datetime(parts[0], parts[1], parts[2], parts[3], parts[4], parts[5], tzinfo=tz)
    except (ValueError, OverflowError, TypeError, IndexError):
        return None


def parse_msgids(value: str) -> list[str]:
    """All ``<id>`` tokens of a Message-ID/In-Reply-To/References value, brackets kept.

    A value without brackets (seen from broken clients) is returned whole.
    """
    value = unfold(decode_8bit_header(value)).strip()
    ids = _MSGID.findall(value)
    if ids:
        return ids
    return [value] if value and " " not in value else []
