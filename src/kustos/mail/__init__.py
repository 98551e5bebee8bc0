"""MIME parsing, metadata, attachment text extraction and HTML sanitising.

Framework-free: imports no Django. Public API::

    parse(raw, limits=None) -> ParsedMessage      # never raises
    get_part(raw, part_path) -> bytes             # an attachment's bytes again (PartNotFound)
    sanitize_html(html, allow_remote=False, cid_url=None) -> str
    has_remote_content(html) -> bool
    html_to_text(html) -> str

Layout: mime.py (byte-level MIME tree), params.py (RFC 2231), headers.py and
charsets.py (RFC 2047, addresses, dates, broken charsets), envelope.py and body.py
(filling ParsedMessage), parts.py (IMAP section numbers), attachments.py and
extractors/ (registry + one module per format), deadline.py (time budgets),
limits.py, sanitize.py and css.py (inline styles), html_text.py.
"""

from __future__ import annotations

from .html_text import html_to_text
from .limits import DEFAULT_LIMITS, Limits
from .model import Address, Attachment, ParsedMessage, SkippedMember, skipped_summary
from .parse import parse
from .parts import PartNotFound, get_part
from .sanitize import has_remote_content, sanitize_html

__all__ = [
    "DEFAULT_LIMITS",
    "Address",
    "Attachment",
    "Limits",
    "ParsedMessage",
    "PartNotFound",
    "get_part",
    "has_remote_content",
    "html_to_text",
    "parse",
    "sanitize_html",
    "SkippedMember",
    "skipped_summary",
]
