"""Filling the header-derived fields of a ParsedMessage from a compat32 Message."""

from __future__ import annotations

from email.message import Message

from .headers import decode_header, parse_addresses, parse_date, parse_msgids, unfold
from .model import ParsedMessage

_ADDRESS_FIELDS = {
    "from": "from_",
    "sender": "sender",
    "to": "to",
    "cc": "cc",
    "bcc": "bcc",
    "reply-to": "reply_to",
}


def fill_envelope(result: ParsedMessage, msg: Message) -> None:
    """Set addresses, date, ids, subject, list and all-headers fields of ``result``.

    Uses the raw header list (``raw_items``) so no policy object is built per header.
    Repeated address headers are merged; for single-valued fields the first wins.
    """
    addresses: dict[str, list[str]] = {}
    headers: list[tuple[str, str]] = []
    first: dict[str, str] = {}
    references: list[str] = []
    for name, raw in msg.raw_items():
        if not isinstance(raw, str):  # compat32 may hold Header objects set by code
            raw = str(raw)
        key = name.lower()
        value = decode_header(raw)
        headers.append((name, value))
        if key in _ADDRESS_FIELDS:
            addresses.setdefault(key, []).append(raw)
        elif key == "references":
            references.extend(parse_msgids(raw))
        elif key.startswith("list-"):
            result.list_headers.setdefault(key, value)
        if key not in first:
            first[key] = raw
    result.headers = headers
    for key, attr in _ADDRESS_FIELDS.items():
        if key in addresses:
            setattr(result, attr, parse_addresses(addresses[key]))
    if "subject" in first:
        result.subject = decode_header(first["subject"])
    if "date" in first:
        result.date_raw = unfold(first["date"]).strip()
        result.date = parse_date(result.date_raw)
    if "message-id" in first:
        ids = parse_msgids(first["message-id"])
        result.message_id = ids[0] if ids else ""
    if "in-reply-to" in first:
        ids = parse_msgids(first["in-reply-to"])
        result.in_reply_to = ids[0] if ids else ""
    result.references = references
    list_id = result.list_headers.get("list-id", "")
    if list_id:
        ids = parse_msgids(list_id)
        result.list_id = ids[0].strip("<>") if ids else list_id
    origin = result.from_ or result.sender
    for _name, addr in origin:
        if "@" in addr:
            result.sender_domain = addr.rsplit("@", 1)[1].strip().strip(">").lower()
            break
