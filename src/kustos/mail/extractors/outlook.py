"""Outlook items (.msg) attached to mail: header summary, body, attachments (extract-msg)."""

from __future__ import annotations

import logging
import re

import extract_msg

from ..html_text import html_to_text
from .containers import Members
from .registry import Context, Extracted, ExtractionError

# extract-msg logs every unsupported property; that is noise at ingest scale.
logging.getLogger("extract_msg").setLevel(logging.ERROR)


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HEADER_LINE = re.compile(rb"[\x21-\x39\x3b-\x7e]+[ \t]*:")


def _text(value: object) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return value.replace("\x00", "") if isinstance(value, str) else ""


class MsgExtractor:
    name = "msg"

    def extract(self, data: bytes, ctx: Context) -> Extracted:
        if not data.startswith(_OLE_MAGIC) and _HEADER_LINE.match(data):
            return ctx.parse_message(data, ctx)  # an RFC 822 file named .msg (common)
        try:
            item = extract_msg.openMsg(data, strict=False)
        except Exception as exc:  # extract-msg raises its own zoo on non-OLE input
            raise ExtractionError(f"not a readable Outlook item: {type(exc).__name__}") from exc
        try:
            lines = [
                f"{label}: {_text(getattr(item, attr, ''))}"
                for label, attr in (("From", "sender"), ("To", "to"), ("Cc", "cc"), ("Subject", "subject"))
                if _text(getattr(item, attr, ""))
            ]
            body = _text(getattr(item, "body", ""))
            if not body.strip():
                body = html_to_text(_text(getattr(item, "htmlBody", b"")))
            found = Members(ctx)
            found.texts.extend(t for t in ("\n".join(lines), body) if t)
            for attachment in getattr(item, "attachments", []):
                ctx.budget.check()
                name = _text(getattr(attachment, "longFilename", "")) or _text(
                    getattr(attachment, "shortFilename", "")
                )
                payload = getattr(attachment, "data", None)
                if isinstance(payload, bytes):
                    found.add(name or "attachment", payload)
                elif name:  # an embedded item or a link: no bytes to read
                    found.names.append(name)
                    found.skip(name, "embedded object without file data")
            return found.result()
        finally:
            item.close()
