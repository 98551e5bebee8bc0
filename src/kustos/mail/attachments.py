"""Running extractors on attachment bytes: registry lookup, limits, time budget.

:func:`extract_text` is the single entry point; it never raises. Failures, skips and
timeouts come back as a short reason in ``error`` (stored per attachment as
``extract_error``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .deadline import Budget, ExtractionTimeout, time_budget
from .extractors import Context, Extracted, ExtractionError, default_registry
from .limits import Limits
from .model import SkippedMember

REGISTRY = default_registry()

ParseMessage = Callable[[bytes, Context], Extracted]


@dataclass
class Result:
    text: str = ""
    members: list[str] = field(default_factory=list)
    error: str = ""
    skipped: list[SkippedMember] = field(default_factory=list)


def _dispatch(data: bytes, content_type: str, filename: str, ctx: Context) -> Extracted:
    """Extract through the registry (also used for members of containers)."""
    extractor = REGISTRY.find(content_type, filename, data)
    if extractor is None:
        return Extracted(supported=False)
    result = extractor.extract(data, ctx)
    if "\r" in result.text:
        result.text = result.text.replace("\r\n", "\n")
    limit = ctx.limits.max_attachment_chars
    if len(result.text) > limit:
        result.text = result.text[:limit]
    return result


def precheck(
    size: int, content_type: str, filename: str, head: bytes, limits: Limits, depth: int
) -> Result | None:
    """The result for an attachment that will not be extracted (too big, too deep,
    no extractor for its format), decided from its size and first bytes alone; None
    when it should be extracted. Lets callers skip decoding such attachments."""
    if size > limits.max_attachment_bytes:
        return Result(error=f"not extracted: larger than {limits.max_attachment_bytes} bytes")
    if depth > limits.max_depth:
        return Result(error=f"not extracted: nested deeper than {limits.max_depth}")
    if REGISTRY.find(content_type, filename, head) is None:
        return Result()
    return None


def extract_text(
    data: bytes,
    content_type: str,
    filename: str,
    limits: Limits,
    depth: int,
    parse_message: ParseMessage,
    budget: Budget | None = None,
) -> Result:
    """Text of one attachment within ``limits``; never raises.

    A fresh time budget of ``limits.attachment_seconds`` is opened unless the caller
    passes the one it is already running under (nested messages share their
    parent attachment's budget).
    """
    early = precheck(len(data), content_type, filename, data, limits, depth)
    if early is not None:
        return early
    try:
        if budget is not None:
            ctx = Context(limits, budget, depth, _dispatch, parse_message)
            out = _dispatch(data, content_type, filename, ctx)
        else:
            with time_budget(limits.attachment_seconds) as fresh:
                ctx = Context(limits, fresh, depth, _dispatch, parse_message)
                out = _dispatch(data, content_type, filename, ctx)
    except ExtractionTimeout:
        return Result(error=f"extraction timed out after {limits.attachment_seconds:g}s")
    except ExtractionError as exc:
        return Result(error=str(exc)[:200])
    except RecursionError:
        return Result(error="extraction failed: nesting too deep")
    except MemoryError:
        return Result(error="extraction failed: out of memory")
    except Exception as exc:  # third-party parsers raise anything on hostile input
        return Result(error=f"extraction failed: {type(exc).__name__}: {str(exc)[:150]}")
    return Result(text=out.text, members=out.members, skipped=out.skipped)
