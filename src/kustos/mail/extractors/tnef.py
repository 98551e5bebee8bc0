"""TNEF / winmail.dat (Outlook rich text): attachments (recursively) and body."""

from __future__ import annotations

import logging

from tnefparse import TNEF, TNEFAttachment

from ..charsets import sniff
from ..html_text import html_to_text
from .containers import Members
from .registry import Context, Extracted, ExtractionError
from .rtf import rtf_bytes_to_text

# tnefparse logs every unknown attribute; that is noise at ingest scale.
logging.getLogger("tnefparse").setLevel(logging.ERROR)

UNTITLED = "Untitled Attachment"


def _as_bytes(value: object) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    return b""


def tnef_body(blob: TNEF) -> str:
    """The message body carried inside TNEF: plain, else HTML, else RTF, as text."""
    if blob.body:
        return sniff(_as_bytes(blob.body)).strip("\x00")
    if blob.htmlbody:
        return html_to_text(sniff(_as_bytes(blob.htmlbody)))
    if blob.rtfbody:
        return rtf_bytes_to_text(_as_bytes(blob.rtfbody))
    return ""


class TnefExtractor:
    name = "tnef"

    def extract(self, data: bytes, ctx: Context) -> Extracted:
        try:
            blob = TNEF(data)
        except Exception as exc:  # tnefparse raises bare ValueError/struct.error/...
            raise ExtractionError(f"not a readable TNEF blob: {type(exc).__name__}") from exc
        found = Members(ctx)
        body = tnef_body(blob)
        if body:
            found.texts.append(body)
        attachments = list(blob.attachments)
        for index, attachment in enumerate(attachments):
            ctx.budget.check()
            if ctx.shared.members <= 0:
                for other in attachments[index:]:
                    found.skip(_name(other), f"member limit of {ctx.limits.max_zip_members} reached")
                break
            ctx.shared.members -= 1
            found.add(_name(attachment), _as_bytes(attachment.data))
        return found.result()


def _name(attachment: TNEFAttachment) -> str:
    name = attachment.long_filename() or attachment.name or UNTITLED
    if isinstance(name, bytes):
        name = sniff(name)
    return str(name).strip("\x00")
