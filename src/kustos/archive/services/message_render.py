"""A message as people read it, outside the dashboard's own viewer: the header summary, the body
sanitised by ``kustos.mail.sanitize_html`` (inline images as data: URLs, never a remote load) and the
attachment list. Used by the PDF download and the Outlook add-in's message view; callers check access
(``messages.get_for``) first."""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field
from typing import Any

from lxml import html as lxml_html

from kustos.archive.models import Message
from kustos.archive.services import messages
from kustos.archive.services.search import Scope
from kustos.mail import get_part, parse, sanitize_html

INLINE_IMAGE_LIMIT = 2 * 1024 * 1024


def addresses(pairs: list[tuple[str, str]]) -> str:
    return ", ".join(f"{name} <{addr}>" if name and addr else (addr or name) for name, addr in pairs)


def _own_only(pairs: list[tuple[str, str]], allowed: list[str] | None) -> list[tuple[str, str]]:
    """Bcc recipients a user limited to ``allowed`` mailboxes may see: only their own addresses."""
    if allowed is None:
        return pairs
    return [(name, addr) for name, addr in pairs if (addr or "").strip().lower() in allowed]


@dataclass
class Rendered:
    id: str
    subject: str
    headers: list[tuple[str, str]]  # (label, value) in reading order, empty values left out
    html: str  # sanitised body (HTML mail) or the text body escaped in <pre>
    text: str  # the text body (or the sanitised HTML's text)
    attachments: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "subject": self.subject, "headers": [list(h) for h in self.headers],
                "html": self.html, "text": self.text, "attachments": self.attachments}


def _cid_resolver(raw: bytes, parsed: Any):
    by_cid = {a.content_id.strip("<>"): a for a in parsed.attachments if a.content_id}

    def resolve(content_id: str) -> str | None:
        att = by_cid.get(content_id.strip("<>"))
        if att is None or not att.content_type.startswith("image/") or att.size > INLINE_IMAGE_LIMIT:
            return None
        return f"data:{att.content_type};base64,{base64.b64encode(get_part(raw, att.part_path)).decode()}"

    return resolve


def _html_text(fragment: str) -> str:
    """Readable text of sanitised HTML (block elements on their own lines)."""
    if not fragment.strip():
        return ""
    root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    for el in root.iter("br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "table", "blockquote"):
        el.tail = "\n" + (el.tail or "")
    return "\n".join(line.strip() for line in root.text_content().splitlines()).strip()


def render(message: Message, scope: Scope) -> Rendered:
    """The readable form of ``message`` for a user whose visibility is ``scope`` (Bcc: own addresses only)."""
    raw = messages.raw(message)
    parsed = parse(raw)
    if parsed.body_html.strip():
        body = sanitize_html(parsed.body_html, allow_remote=False, cid_url=_cid_resolver(raw, parsed))
        text = parsed.body_text.strip() or _html_text(body)
    else:
        body = f"<pre>{html.escape(parsed.body_text)}</pre>"
        text = parsed.body_text
    date = parsed.date.isoformat(sep=" ") if parsed.date else (parsed.date_raw or "")
    headers = [(label, value) for label, value in (
        ("Subject", parsed.subject), ("From", addresses(parsed.from_)), ("To", addresses(parsed.to)),
        ("Cc", addresses(parsed.cc)), ("Bcc", addresses(_own_only(parsed.bcc, scope.allowed_mailboxes))),
        ("Date", date), ("Message-ID", parsed.message_id)) if value]
    attachments = [{"name": a.filename or "attachment", "content_type": a.content_type, "size": a.size,
                    "part": a.part_path} for a in parsed.attachments]
    return Rendered(id=message.id, subject=parsed.subject or message.subject, headers=headers, html=body,
                    text=text, attachments=attachments)
