"""Walking the MIME tree: body text/HTML, attachments, nested messages.

One pass over the parts. A leaf is *body* when it is text/plain or text/html and
neither marked as attachment nor named; everything else is an Attachment with its
IMAP section number. message/rfc822 parts become an Attachment whose text is the
nested message (headers, body, its attachments' text), parsed recursively with the
same walker within ``Limits.max_depth``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .attachments import Result, extract_text, precheck
from .charsets import decode_bytes
from .deadline import Budget, ExtractionTimeout, time_budget
from .extractors import Context, Extracted
from .headers import decode_header, unfold
from .limits import Limits
from .mime import Part
from .model import Attachment, ParsedMessage, SkippedMember, skipped_summary
from .params import parse_params
from .parts import message_children

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.-]+)""", re.I)

_MAGIC_BYTES = 64  # enough leading bytes for the registry's magic-number lookup
_SMALL_PART = 1 << 20  # encoded bytes up to which an attachment is simply decoded once

FillNested = Callable[[ParsedMessage, Part, int, str, "Budget | None"], None]


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
    text_chars: int = 0  # characters in ``texts`` so far
    html_chars: int = 0  # characters in ``htmls`` so far


def _disposition(part: Part) -> tuple[str, dict[str, str]]:
    return parse_params(part.get("content-disposition"))


def part_filename(part: Part, disp_params: dict[str, str]) -> str:
    """Filename from Content-Disposition, else Content-Type ``name`` (RFC 2231, and,
    non-standard but common, RFC 2047 inside the quotes); "" when none."""
    name = disp_params.get("filename") or part.params.get("name") or ""
    return decode_header(name).replace("\x00", "").strip() if name else ""


def unflow(text: str, delsp: bool) -> str:
    """RFC 3676 format=flowed: join soft-broken lines (trailing space) so phrases
    that the sender's client wrapped are found by phrase search."""
    out: list[str] = []
    pending = ""
    for line in text.split("\n"):
        if line.startswith(" "):  # space-stuffing
            line = line[1:]
        if line.endswith(" ") and line != "-- ":
            pending += line[:-1] if delsp else line
            continue
        out.append(pending + line)
        pending = ""
    if pending:
        out.append(pending)
    return "\n".join(out)


def _note_defects(walk: Walk, part: Part) -> None:
    for name in part.defects:
        if name not in walk.defects:
            walk.defects.append(name)


def walk_message(msg: Part, prefix: str, walk: Walk) -> None:
    """Walk the parts of a message (top level or encapsulated) below ``prefix``."""
    _note_defects(walk, msg)
    for child, path in message_children(msg, prefix):
        _walk(child, path, walk)


def _walk(part: Part, path: str, walk: Walk) -> None:
    _note_defects(walk, part)
    if part.children is not None:
        for index, child in enumerate(part.children, 1):
            _walk(child, f"{path}.{index}", walk)
        return
    ctype = part.content_type
    disposition, disp_params = _disposition(part)
    filename = part_filename(part, disp_params)
    if ctype.startswith("multipart/"):  # no boundary found: keep its text findable
        ctype = "text/plain"
    if part.opaque:
        _opaque(part, path, filename, disposition, walk)
        return
    if ctype in ("text/plain", "text/html") and disposition != "attachment" and not filename:
        _body_part(part, ctype, walk)
        return
    if part.message is not None:
        _nested(part, part.message, path, filename, disposition, walk)
        return
    _attachment(part, path, ctype, filename, disposition, walk)


def _trim_partial_utf8(data: bytes) -> bytes:
    """Drop a UTF-8 sequence cut off at the end of ``data`` (so a truncated prefix
    still decodes strictly and charset sniffing is not misled)."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte < 0x80:
            return data
        if byte >= 0xC0:  # lead byte: is its sequence complete?
            need = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return data if back >= need else data[:-back]
    return data


def _body_part(part: Part, ctype: str, walk: Walk) -> None:
    """A text/plain or text/html body part, decoded only as far as the body cap
    needs (a 20 MB body yields at most ``max_body_chars`` characters)."""
    plain = ctype == "text/plain"
    room = walk.limits.max_body_chars - (walk.text_chars if plain else walk.html_chars)
    if room <= 0:
        return
    limit = room * 4  # no charset needs more than 4 bytes per character
    data = part.decoded(limit)
    if len(data) >= limit:
        data = _trim_partial_utf8(data)
    charset = part.params.get("charset")
    if not charset and not plain:
        found = _META_CHARSET.search(data, 0, 4096)
        charset = found.group(1).decode("ascii") if found else None
    text = decode_bytes(data, charset)
    del data
    if len(text) > room:
        text = text[:room]
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    if plain and part.params.get("format", "").lower() == "flowed":
        text = unflow(text, part.params.get("delsp", "").lower() == "yes")
    if plain:
        walk.texts.append(text)
        walk.text_chars += len(text) + 1
    else:
        walk.htmls.append(text)
        walk.html_chars += len(text) + 1


def _opaque(part: Part, path: str, filename: str, disposition: str, walk: Walk) -> None:
    """A part the parser kept unparsed (a limit was reached): listed with the
    reason, never decoded or extracted."""
    att = _new_attachment(part, path, part.content_type, filename, disposition, part.end - part.body_start)
    att.extract_error = f"not parsed: {part.opaque}"
    walk.attachments.append(att)


def _new_attachment(
    part: Part, path: str, ctype: str, filename: str, disposition: str, size: int
) -> Attachment:
    cid = unfold(part.get("content-id")).strip().strip("<>").strip()
    inline = disposition == "inline" or (not disposition and bool(cid))
    return Attachment(filename, ctype, size, path, content_id=cid, inline=inline)


def _room(walk: Walk) -> bool:
    limits = walk.limits
    return len(walk.attachments) < limits.max_attachments and walk.chars < limits.max_message_chars


def _record(walk: Walk, att: Attachment, result: Result) -> None:
    text = result.text[: max(walk.limits.max_message_chars - walk.chars, 0)]
    att.text, att.members, att.extract_error = text, result.members, result.error
    att.skipped = result.skipped
    if result.skipped and not result.error:
        att.extract_error = skipped_summary(result.skipped)
    walk.chars += len(text)


def _attachment(part: Part, path: str, ctype: str, filename: str, disposition: str, walk: Walk) -> None:
    # Small bodies are decoded once; large ones are sized chunk by chunk and decoded
    # whole only if they are extracted.
    data = part.decoded() if part.end - part.body_start <= _SMALL_PART else None
    size = len(data) if data is not None else part.decoded_size()
    att = _new_attachment(part, path, part.content_type, filename, disposition, size)
    if ctype in _HEADER_BLOCKS:  # delivery reports: their fields are worth indexing
        ctype = "text/plain"
    if _room(walk):
        head = data[:_MAGIC_BYTES] if data is not None else part.decoded(_MAGIC_BYTES)
        result = precheck(size, ctype, filename, head, walk.limits, walk.depth)
        if result is None:
            data = data if data is not None else part.decoded()
            result = extract_text(data, ctype, filename, walk.limits, walk.depth, walk.parse_message, walk.budget)
        _record(walk, att, result)
    walk.attachments.append(att)


_HEADER_BLOCKS = {
    "message/delivery-status",
    "message/global-delivery-status",
    "message/disposition-notification",
    "message/feedback-report",
    "text/rfc822-headers",
    "message/global-headers",
}


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
    skipped: list[SkippedMember] = []
    for att in nested.attachments:
        if att.filename:
            members.append(att.filename)
        members.extend(f"{att.filename}/{m}" for m in att.members)
        if att.text:
            blocks.append(f"{att.filename}\n{att.text}")
        if att.skipped:
            skipped.extend(SkippedMember(f"{att.filename}/{s.name}", s.reason, s.count) for s in att.skipped)
        elif att.extract_error:
            skipped.append(SkippedMember(att.filename or att.part_path, att.extract_error))
    return Extracted(text="\n\n".join(b for b in blocks if b), members=members, skipped=skipped)


def _nested(part: Part, inner: Part, path: str, filename: str, disposition: str, walk: Walk) -> None:
    subject = decode_header(inner.get("subject"))
    name = filename or (f"{subject}.eml" if subject else "message.eml")
    size = inner.size
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
    text = extracted.text[: walk.limits.max_attachment_chars]
    _record(walk, att, Result(text, extracted.members, att.extract_error, extracted.skipped))
    if nested.parse_error and not att.extract_error:
        att.extract_error = nested.parse_error
