"""Turning bytes into text whatever the message claims its charset is.

Mail in the wild declares charsets that do not exist ("uft-8", "fakescii"),
declares ASCII and sends 8-bit, or sends raw 8-bit headers with no declaration at
all. The rules, in order: map the declared name to the Python codec that is the
real-world superset (latin-1 -> cp1252, gb2312 -> gb18030, shift_jis -> cp932, ...);
if it decodes strictly, done; otherwise try UTF-8; then (for larger texts) a
statistical guess; finally the declared codec (or cp1252) with replacement
characters. Decoding never raises.
"""

from __future__ import annotations

import codecs
from functools import lru_cache

from charset_normalizer import from_bytes

# Declared name (lowercased) -> codec actually used. Supersets win because senders
# routinely mislabel (e.g. Windows-1252 quotes in "iso-8859-1" mail).
_ALIASES = {
    "uft-8": "utf-8",
    "utf8": "utf-8",
    "utf-8'": "utf-8",
    "unicode-1-1-utf-7": "utf-7",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "iso_8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "iso-8859-9": "cp1254",
    "iso-8859-11": "cp874",
    "tis-620": "cp874",
    "windows-874": "cp874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cn-gb": "gb18030",
    "euc-cn": "gb18030",
    "big5": "big5hkscs",
    "x-x-big5": "big5hkscs",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "windows-31j": "cp932",
    "iso-2022-jp": "iso2022_jp_ext",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "x-mac-roman": "mac_roman",
    "macintosh": "mac_roman",
    "koi8-r": "koi8_r",
    "koi8-u": "koi8_u",
    "ucs-2": "utf-16",
    "iso-10646-ucs-2": "utf-16",
    "unicode": "utf-16",
    "ansi": "cp1252",
    "x-windows-949": "cp949",
}


def _variants(name: str) -> list[str]:
    """Spellings to try when a declared name is unknown: "x-cp1251", "cp-850",
    "iso-8859-8-i", "latin-2", "koi8r" and similar real-world variants."""
    out = []
    if name.startswith("x-"):
        out.append(name[2:])
    if name.endswith(("-i", "-e")) and name.startswith("iso-8859-"):
        out.append(name[:-2])
    out.append(name.replace("-", "").replace("_", "").replace(" ", ""))
    out.append(name.replace(" ", "-"))
    return [_ALIASES.get(v, v) for v in out]


# Declared names that carry no information about the bytes: ASCII is included because
# 8-bit text labelled ASCII is common and ASCII itself is a subset of what sniffing
# tries first (UTF-8).
_UNKNOWN = {
    "",
    "us-ascii",
    "ascii",
    "ansi_x3.4-1968",
    "fakescii",
    "unknown-8bit",
    "x-unknown",
    "unknown",
    "default",
    "charset",
    "8bit",
    "x-user-defined",
}

_SNIFF_MIN = 256  # below this, statistics are noise; fall back to cp1252


@lru_cache(maxsize=512)
def codec_for(charset: str | None) -> str | None:
    """The Python codec name for a declared charset, or None if it is unusable."""
    if not charset:
        return None
    name = charset.strip().strip("\"'").lower()
    if "*" in name:  # RFC 2231 language suffix: utf-8*en
        name = name.split("*", 1)[0]
    if name in _UNKNOWN:
        return None
    info = None
    for candidate in [_ALIASES.get(name, name), *_variants(name)]:
        try:
            info = codecs.lookup(candidate)
            break
        except (LookupError, ValueError):
            continue
    if info is None:
        return None
    if not getattr(info, "_is_text_encoding", True):  # e.g. "base64", "rot13"
        return None
    return info.name


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError, ValueError):
        return None


def sniff(data: bytes) -> str:
    """Decode bytes with no usable declaration: BOM, UTF-8, statistics, cp1252."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", "replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", "replace")
    text = _strict(data, "utf-8")
    if text is not None:
        return text
    if len(data) >= _SNIFF_MIN:
        try:
            best = from_bytes(data[:65536], steps=3, chunk_size=512).best()
        except Exception:  # the guesser is a heuristic; any failure means "no guess"
            best = None
        if best is not None and best.encoding:
            text = _strict(data, best.encoding)
            if text is not None:
                return text
    return data.decode("cp1252", "replace")


def decode_bytes(data: bytes, charset: str | None = None) -> str:
    """Decode ``data`` declared as ``charset`` into text; never raises."""
    if not data:
        return ""
    codec = codec_for(charset)
    if codec is None:
        return sniff(data)
    text = _strict(data, codec)
    if text is not None:
        return text
    if codec != "utf-8":
        text = _strict(data, "utf-8")
        if text is not None:
            return text
    return data.decode(codec, "replace")


def decode_raw_header_bytes(data: bytes, hint: str | None = None) -> str:
    """Raw 8-bit header bytes as text: UTF-8, else the message's body charset
    (``hint``; clients that send raw headers use it), else cp1252.

    No statistical guessing: header values are too short for it to be reliable.
    """
    if data.isascii():
        return data.decode("ascii")
    text = _strict(data, "utf-8")
    if text is not None:
        return text
    codec = codec_for(hint)
    if codec is not None:
        text = _strict(data, codec)
        if text is not None:
            return text
    return data.decode("cp1252", "replace")


def decode_8bit_header(value: str, hint: str | None = None) -> str:
    """Repair a header string that holds raw 8-bit bytes as lone surrogates
    (surrogateescape, as our parser and the stdlib's keep them)."""
    if value.isascii():
        return value
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        pass
    return decode_raw_header_bytes(value.encode("utf-8", "surrogateescape"), hint)
