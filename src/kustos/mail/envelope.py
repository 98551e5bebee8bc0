"""Filling the header-derived fields of a ParsedMessage from a parsed entity."""

from __future__ import annotations

from .headers import decode_header, parse_addresses, parse_date, parse_msgids, unfold
from .mime import Part
from .model import ParsedMessage

_ADDRESS_FIELDS = {
    "from": "from_",
    "sender": "sender",
    "to": "to",
    "cc": "cc",
    "bcc": "bcc",
    "reply-to": "reply_to",
}


def charset_hint(msg: Part) -> str | None:
    """The charset of the message's first text part: the best guess for raw 8-bit
    header bytes (clients that send them use their body charset)."""
    part: Part | None = msg
    for _ in range(4):
        if part is None:
            break
        if part.params.get("charset"):
            return part.params["charset"]
        part = part.children[0] if part.children else None
    return None


def fill_envelope(result: ParsedMessage, msg: Part) -> None:
    """Set addresses, date, ids, subject, list and all-headers fields of ``result``.

    Repeated address headers are merged; for single-valued fields the first wins.
    """
    hint = charset_hint(msg)
    addresses: dict[str, list[str]] = {}
    headers: list[tuple[str, str]] = []
    references: list[str] = []
    for name, raw in msg.headers:
        key = name.lower()
        if raw.isascii() and "=?" not in raw and "\n" not in raw:
            value = raw.strip()  # the common case, without the decoding machinery
        else:
            value = decode_header(raw, hint)
        headers.append((name, value))
        if key in _ADDRESS_FIELDS:
            addresses.setdefault(key, []).append(raw)
        elif key == "references":
            references.extend(parse_msgids(raw))
        elif key.startswith("list-"):
            result.list_headers.setdefault(key, value)
    result.headers = headers
    for key, attr in _ADDRESS_FIELDS.items():
        if key in addresses:
            setattr(result, attr, parse_addresses(addresses[key], hint))
    result.subject = decode_header(msg.get("subject"), hint)
    result.date_raw = unfold(msg.get("date")).strip()
    result.date = parse_date(result.date_raw) if result.date_raw else None
    ids = parse_msgids(msg.get("message-id"))
    result.message_id = ids[0] if ids else ""
    ids = parse_msgids(msg.get("in-reply-to"))
    result.in_reply_to = ids[0] if ids else ""
    result.references = references
    list_id = result.list_headers.get("list-id", "")
    if list_id:
        ids = parse_msgids(list_id)
        result.list_id = ids[-1].strip("<>") if ids else list_id
    origin = result.from_ or result.sender
    for _name, addr in origin:
        if "@" in addr:
            result.sender_domain = addr.rsplit("@", 1)[1].strip().strip(">").lower()
            break
