"""FETCH attribute parsing and response building (one message at a time)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from kustos.imapd import mime
from kustos.imapd.backend import MessageInfo
from kustos.imapd.protocol import Atom, ParseError, Token, imap_date

MACROS = {"ALL": ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"],
          "FAST": ["FLAGS", "INTERNALDATE", "RFC822.SIZE"],
          "FULL": ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"]}
SIMPLE = {"FLAGS", "INTERNALDATE", "RFC822.SIZE", "UID", "ENVELOPE", "BODY", "BODYSTRUCTURE",
          "RFC822", "RFC822.HEADER", "RFC822.TEXT"}
_SECTION = re.compile(r"(BODY(?:\.PEEK)?)\[([^\]]*)\](?:<(\d{1,10})(?:\.(\d{1,10}))?>)?$", re.I | re.S)


@dataclass(frozen=True)
class Item:
    name: str  # FLAGS, UID, ..., or BODY[...] for sections
    section: str | None = None
    start: int | None = None
    length: int | None = None

    @property
    def needs_bytes(self) -> bool:
        return self.name not in ("FLAGS", "INTERNALDATE", "RFC822.SIZE", "UID")  # noqa: E501

    @property
    def is_content(self) -> bool:
        """Sends message content (audited as a fetch of the message)."""
        return self.section is not None or self.name in ("RFC822", "RFC822.TEXT", "RFC822.HEADER")


def parse_items(tokens: list[Token], uid: bool) -> list[Item]:
    if not tokens:
        raise ParseError("FETCH needs data items")
    raw: list[Token] = tokens[0] if isinstance(tokens[0], list) else list(tokens)
    if len(tokens) > 1 and isinstance(tokens[0], list):
        raise ParseError("unexpected arguments after the FETCH items")
    names: list[str] = []
    for token in raw:
        if not isinstance(token, Atom):
            raise ParseError("FETCH items must be atoms")
        names.extend(MACROS.get(token.upper(), [token]) if len(raw) == 1 else [token])
    items = [Item("UID")] if uid else []
    for name in names:
        upper = name.upper()
        if upper in SIMPLE:
            item = Item(upper)
        else:
            m = _SECTION.match(name)
            if m is None:
                raise ParseError(f"unknown FETCH item {name[:40]}")
            start = int(m.group(3)) if m.group(3) is not None else None
            length = int(m.group(4)) if m.group(4) is not None else None
            item = Item(m.group(1).upper(), m.group(2), start, length)
        if item not in items:
            items.append(item)
    if len(items) > 50:
        raise ParseError("too many FETCH items")
    return items


def render(seq: int, message: MessageInfo, items: list[Item], raw: Callable[[], bytes]) -> bytes:
    """``* seq FETCH (...)`` for one message; ``raw()`` gives its original bytes (loaded on demand)."""
    parts: list[bytes] = []
    for item in items:
        name = item.name
        if name == "UID":
            parts.append(b"UID %d" % message.uid)
        elif name == "FLAGS":
            parts.append(b"FLAGS (" + " ".join(message.flags).encode("ascii", "replace") + b")")
        elif name == "INTERNALDATE":
            parts.append(b"INTERNALDATE " + imap_date(message.internaldate))
        elif name == "RFC822.SIZE":
            parts.append(b"RFC822.SIZE %d" % message.size)
        elif name == "ENVELOPE":
            parts.append(b"ENVELOPE " + mime.envelope(raw()))
        elif name in ("BODY", "BODYSTRUCTURE") and item.section is None:
            parts.append(name.encode() + b" " + mime.bodystructure(raw()))
        elif name == "RFC822" and item.section is None:
            parts.append(_literal(b"RFC822", raw()))
        elif name == "RFC822.HEADER":
            parts.append(_literal(b"RFC822.HEADER", mime.split_header(raw())[0]))
        elif name == "RFC822.TEXT":
            parts.append(_literal(b"RFC822.TEXT", mime.split_header(raw())[1]))
        else:
            data = mime.section_bytes(raw(), item.section or "")
            data = b"" if data is None else data
            label = b"BODY[" + (item.section or "").upper().encode() + b"]"
            if item.start is not None:
                data = data[item.start:item.start + item.length if item.length is not None else None]
                label += b"<%d>" % item.start
            parts.append(_literal(label, data))
    return b"* %d FETCH (" % seq + b" ".join(parts) + b")\r\n"


def _literal(label: bytes, data: bytes) -> bytes:
    return label + b" {%d}\r\n" % len(data) + data
