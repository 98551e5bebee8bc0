"""``parse(raw) -> ParsedMessage``: the never-raising entry point.

Parsing uses our own byte-level MIME parser (mime.py; the stdlib parser is too slow
for ingest) and header decoding (headers.py, charsets.py). Each
stage runs guarded: if one fails, ``parse_error`` names it and the fields filled by
the other stages are kept, so even a message we cannot fully read stays findable.
"""

from __future__ import annotations

from .body import FillNested, Walk, nested_text, walk_message
from .deadline import Budget, ExtractionTimeout
from .envelope import fill_envelope
from .extractors import Context, Extracted
from .html_text import html_to_text
from .limits import DEFAULT_LIMITS, Limits
from .mime import ParseState, Part, parse_entity, parse_tree
from .model import Attachment, ParsedMessage

_SIGNATURES = {"application/pgp-signature", "application/pkcs7-signature", "application/x-pkcs7-signature"}


def counts_as_attachment(att: Attachment) -> bool:
    """What ``has:attachment`` means: a file the user would see as attached, i.e.
    not a signature and not an inline part shown inside the body (referenced by
    Content-ID, or inline without a file name)."""
    if att.content_type in _SIGNATURES:
        return False
    return not (att.inline and (att.content_id or not att.filename))


def _reason(stage: str, exc: BaseException) -> str:
    return f"{stage} failed: {type(exc).__name__}: {str(exc)[:120]}"


def _fill(
    result: ParsedMessage, msg: Part, limits: Limits, depth: int, prefix: str, budget: Budget | None
) -> None:
    """Fill ``result`` from a parsed Message (top level or nested); never raises
    except ExtractionTimeout, which belongs to the caller's budget."""
    result.content_type = msg.content_type
    try:
        fill_envelope(result, msg)
    except (Exception, RecursionError) as exc:
        result.parse_error = _reason("headers", exc)
    if not result.headers and not result.parse_error:
        result.parse_error = "no header fields found"
    walk = Walk(limits, depth, budget, _fill_nested(limits), _parse_message_bytes)
    try:
        walk_message(msg, prefix, walk)
    except (Exception, RecursionError) as exc:
        result.parse_error = result.parse_error or _reason("body", exc)
    cap = limits.max_body_chars
    result.body_text = "\n".join(walk.texts)[:cap]
    result.body_html = "\n".join(walk.htmls)[:cap]
    if not result.body_text.strip() and result.body_html:
        try:
            result.body_text = html_to_text(result.body_html)[:cap]
        except (Exception, RecursionError) as exc:
            result.parse_error = result.parse_error or _reason("html", exc)
    result.attachments = walk.attachments
    result.has_attachment = any(counts_as_attachment(a) for a in walk.attachments)
    result.defects = walk.defects


def _fill_nested(limits: Limits) -> FillNested:
    def fill(result: ParsedMessage, msg: Part, depth: int, prefix: str, budget: Budget | None) -> None:
        _fill(result, msg, limits, depth, prefix, budget)

    return fill


def _parse_message_bytes(data: bytes, ctx: Context) -> Extracted:
    """Callback for extractors meeting RFC 822 bytes (.eml in a ZIP, octet-stream)."""
    nested = ParsedMessage(size=len(data))
    tree = parse_entity(data, state=ParseState(ctx.limits, len(data)))
    _fill(nested, tree, ctx.limits, ctx.depth + 1, "", ctx.budget)
    return nested_text(nested)


def parse(raw: bytes, limits: Limits | None = None) -> ParsedMessage:
    """Parse one RFC 5322 message; NEVER raises.

    On any failure the returned message has ``parse_error`` set (short reason) and
    keeps whatever could be read. Attachment extraction failures do not make the
    message a parse error; they are in ``Attachment.extract_error``.
    """
    limits = limits or DEFAULT_LIMITS
    result = ParsedMessage()
    try:
        if not isinstance(raw, bytes | bytearray | memoryview):
            result.parse_error = f"input is {type(raw).__name__}, not bytes"
            return result
        raw = bytes(raw)
        result.size = len(raw)
        if not raw.strip():
            result.parse_error = "empty input"
            return result
        msg, emlx = parse_tree(raw, limits)
        _fill(result, msg, limits, 0, "", None)
        if emlx:
            result.defects.append("EmlxEnvelope")
    except (Exception, RecursionError, ExtractionTimeout) as exc:
        result.parse_error = _reason("parse", exc)
    return result
