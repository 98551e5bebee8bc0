"""Walking the MIME tree: body text/HTML, attachments, nested messages.

One pass over the parts. A leaf is *body* when it is text/plain or text/html and
neither marked as attachment nor named; everything else is an Attachment with its
IMAP section number. message/rfc822 parts become an Attachment whose text is the
nested message (headers, body, its attachments' text), parsed recursively with the
same walker within ``Limits.max_depth``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message

from .attachments import Result, extract_text
from .charsets import decode_bytes
from .deadline import Budget, ExtractionTimeout, time_budget
from .extractors import Context, Extracted
from .headers import decode_header, decode_words, unfold
from .limits import Limits
from .model import Attachment, ParsedMessage
from .parts import encapsulated, message_children

MAX_MIME_DEPTH = 64  # multipart nesting; beyond this the rest is ignored (defect noted)

FillNested = Callable[[ParsedMessage, Message, int, str, "Budget | None"], None]


@dataclass
class Walk:
    """State of one message's walk."""

    limits: Limits
    depth: int  # message nesting (message/rfc822 levels)
    budget: Budget | None
    fill_nested: FillNested
    parse_message: Callable[[bytes, Context], Extracted]
    texts: list[str] = field(default_factory=list)
    htmls: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    chars: int = 0  # extracted attachment characters so far


def part_filename(part: Message) -> str:
    """Filename from Content-Disposition/Content-Type (RFC 2231 and, non-standard
    but common, RFC 2047 inside the quotes); "" when none."""
    try:
        name = part.get_filename() or part.get_param("name") or ""
    except Exception:  # malformed RFC 2231 continuations raise deep in email.utils
        return ""
    if isinstance(name, tuple):  # undecodable RFC 2231 triple
        name = name[2] if len(name) == 3 and isinstance(name[2], str) else ""
    return decode_header(str(name)).replace("\x00", "").strip()


def _disposition(part: Message) -> str:
    value = part.get("Content-Disposition")
    return str(value).split(";", 1)[0].strip().lower() if value else ""


def _content_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:  # a Content-Type header the parser cannot split
        return "application/octet-stream"


def _leaf_bytes(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # broken base64/uuencode: fall back to the undecoded text
        data = None
    if isinstance(data, bytes):
        return data
    raw = part.get_payload()
    return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""


def _charset(part: Message) -> str | None:
    try:
        return part.get_content_charset()
    except Exception:  # odd RFC 2231 charset parameters
        return None


def _note_defects(walk: Walk, part: Message) -> None:
    for defect in getattr(part, "defects", ()):
        name = type(defect).__name__
        if name not in walk.defects:
            walk.defects.append(name)


def walk_message(msg: Message, prefix: str, walk: Walk) -> None:
    """Walk the parts of a message (top level or encapsulated) below ``prefix``."""
    _note_defects(walk, msg)
    for child, path in message_children(msg, prefix):
        _walk(child, path, walk, 0)


def _walk(part: Message, path: str, walk: Walk, level: int) -> None:
    _note_defects(walk, part)
    ctype = _content_type(part)
    payload = part.get_payload()
    if isinstance(payload, list) and ctype.startswith("multipart/"):
        if level >= MAX_MIME_DEPTH:
            if "MimeNestingTooDeep" not in walk.defects:
                walk.defects.append("MimeNestingTooDeep")
            return
        for index, child in enumerate(payload, 1):
            if isinstance(child, Message):
                _walk(child, f"{path}.{index}", walk, level + 1)
        return
    disposition = _disposition(part)
    filename = part_filename(part)
    if ctype.startswith("multipart/"):  # no boundary found: keep its text findable
        ctype = "text/plain"
    if ctype in ("text/plain", "text/html") and disposition != "attachment" and not filename:
        text = decode_bytes(_leaf_bytes(part), _charset(part))
        (walk.texts if ctype == "text/plain" else walk.htmls).append(text)
        return
    if ctype == "message/rfc822" and encapsulated(part) is not None:
        _nested(part, path, filename, disposition, walk)
        return
    _attachment(part, path, ctype, filename, disposition, walk)


def _new_attachment(part: Message, path: str, ctype: str, filename: str, disposition: str, size: int) -> Attachment:
    cid = unfold(str(part.get("Content-ID") or "")).strip().strip("<>").strip()
    inline = disposition == "inline" or (not disposition and bool(cid))
    return Attachment(filename, ctype, size, path, content_id=cid, inline=inline)


def _room(walk: Walk) -> bool:
    limits = walk.limits
    return len(walk.attachments) < limits.max_attachments and walk.chars < limits.max_message_chars


def _record(walk: Walk, att: Attachment, result: Result) -> None:
    text = result.text[: max(walk.limits.max_message_chars - walk.chars, 0)]
    att.text, att.members, att.extract_error = text, result.members, result.error
    walk.chars += len(text)


def _attachment(part: Message, path: str, ctype: str, filename: str, disposition: str, walk: Walk) -> None:
    data = _leaf_bytes(part)
    if isinstance(part.get_payload(), list):  # header blocks (delivery-status, ...)
        data = b"\n".join(p.as_bytes() for p in part.get_payload() if isinstance(p, Message))
        ctype = "text/plain" if ctype.startswith("message/") else ctype
    att = _new_attachment(part, path, _content_type(part), filename, disposition, len(data))
    if _room(walk):
        result = extract_text(data, ctype, filename, walk.limits, walk.depth, walk.parse_message, walk.budget)
        _record(walk, att, result)
    walk.attachments.append(att)


def nested_text(nested: ParsedMessage) -> Extracted:
    """How a nested message appears in its parent's attachment text."""
    lines = []
    for label, addrs in (("From", nested.from_), ("To", nested.to), ("Cc", nested.cc)):
        if addrs:
            lines.append(f"{label}: " + ", ".join(f"{n} <{a}>" if n else a for n, a in addrs))
    if nested.date_raw:
        lines.append(f"Date: {nested.date_raw}")
    if nested.subject:
        lines.append(f"Subject: {nested.subject}")
    blocks = ["\n".join(lines), nested.body_text]
    members: list[str] = []
    for att in nested.attachments:
        if att.filename:
            members.append(att.filename)
        members.extend(f"{att.filename}/{m}" for m in att.members)
        if att.text:
            blocks.append(f"{att.filename}\n{att.text}")
    return Extracted(text="\n\n".join(b for b in blocks if b), members=members)


def _nested(part: Message, path: str, filename: str, disposition: str, walk: Walk) -> None:
    inner = encapsulated(part)
    assert inner is not None  # checked by the caller
    subject = decode_words(unfold(str(inner.get("Subject") or ""))).strip()
    name = filename or (f"{subject}.eml" if subject else "message.eml")
    try:
        size = len(inner.as_bytes())
    except Exception:  # regenerating a broken message can fail; size is informative only
        size = 0
    att = _new_attachment(part, path, "message/rfc822", name, disposition, size)
    walk.attachments.append(att)
    if not _room(walk):
        return
    if walk.depth + 1 > walk.limits.max_depth:
        att.extract_error = f"not extracted: nested deeper than {walk.limits.max_depth}"
        return
    nested = ParsedMessage(size=size)
    try:
        if walk.budget is not None:
            walk.fill_nested(nested, inner, walk.depth + 1, path, walk.budget)
        else:
            with time_budget(walk.limits.attachment_seconds) as budget:
                walk.fill_nested(nested, inner, walk.depth + 1, path, budget)
    except ExtractionTimeout:
        att.extract_error = f"extraction timed out after {walk.limits.attachment_seconds:g}s"
    extracted = nested_text(nested)
    _record(walk, att, Result(extracted.text[: walk.limits.max_attachment_chars], extracted.members))
    if nested.parse_error and not att.extract_error:
        att.extract_error = nested.parse_error
