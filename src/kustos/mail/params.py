"""Content-Type / Content-Disposition parameter parsing, RFC 2231 included.

``parse_params('text/plain; charset="utf-8"; name*=utf-8\\'\\'%C3%A9.txt')`` ->
``("text/plain", {"charset": "utf-8", "name": "é.txt"})``. Keys are lowercased,
values unquoted and, for RFC 2231 (continuations, percent-encoding, charset),
decoded. Lenient and never raises.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from .charsets import decode_8bit_header, decode_bytes

_PARAM = re.compile(r';\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"?|[^;]*)', re.S)
_SECTION = re.compile(r"^(.*?)\*(\d+)(\*?)$")
_QUOTED_PAIR = re.compile(r"\\(.)")


def _unquote(value: str) -> str:
    value = value.strip()
    if value.startswith('"'):
        value = value[1:-1] if value.endswith('"') and len(value) > 1 else value[1:]
        return _QUOTED_PAIR.sub(r"\1", value) if "\\" in value else value
    return value


def parse_params(value: str) -> tuple[str, dict[str, str]]:
    """Split a header value into its lowercased main value and its parameters."""
    if not value:
        return "", {}
    semi = value.find(";")
    if semi == -1:
        return value.strip().lower(), {}
    value = decode_8bit_header(value).replace("\r", "").replace("\n", "")
    semi = value.find(";")
    main = (value if semi == -1 else value[:semi]).strip().lower()
    params: dict[str, str] = {}
    if semi == -1:
        return main, params
    sections: dict[str, list[tuple[int, bool, str]]] = {}
    for match in _PARAM.finditer(value, semi):
        key = match.group(1).lower()
        raw = _unquote(match.group(2))
        section = _SECTION.match(key) if "*" in key else None
        if section:
            sections.setdefault(section.group(1), []).append(
                (int(section.group(2)), bool(section.group(3)), raw)
            )
        elif key.endswith("*"):
            sections.setdefault(key[:-1], []).append((0, True, raw))
        else:
            params.setdefault(key, raw)
    for key, pieces in sections.items():
        params[key] = _rfc2231(sorted(pieces, key=lambda p: p[0]))
    return main, params


def _rfc2231(pieces: list[tuple[int, bool, str]]) -> str:
    charset = ""
    chunks: list[bytes] = []
    for index, encoded, raw in pieces:
        if encoded:
            if index == pieces[0][0] and raw.count("'") >= 2:
                charset, _lang, raw = raw.split("'", 2)
            chunks.append(unquote_to_bytes(raw))
        else:
            chunks.append(raw.encode("utf-8", "surrogateescape"))
    return decode_bytes(b"".join(chunks), charset or "utf-8")
