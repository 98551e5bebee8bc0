"""Resource limits for parsing and attachment text extraction.

Every bound that protects ingest from hostile input lives here, so callers (the
ingest pipeline, tests, benchmarks) can tighten or relax them in one place.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Bounds applied by :func:`kustos.mail.parse` and the extractors.

    - ``max_attachment_bytes``: attachments larger than this are listed but their
      text is not extracted (``extract_error`` says so).
    - ``max_attachment_chars`` / ``max_message_chars``: extracted text is cut at
      these many characters per attachment and summed over one message.
    - ``attachment_seconds``: wall-clock budget for extracting one attachment
      (including everything nested inside it); see ``deadline.py`` for how it is
      enforced.
    - ``max_depth``: nesting of message/rfc822, ZIP-in-ZIP, TNEF-in-message.
    - ``max_zip_members`` / ``max_zip_total_bytes`` / ``max_zip_ratio``: ZIP bomb
      guards (members looked at, uncompressed bytes read in total, and the
      largest accepted uncompressed/compressed ratio per member).
    - ``max_attachments``: attachments beyond this count are listed, not extracted.
    - ``max_body_chars``: body_text / body_html are cut at this many characters.
    """

    max_attachment_bytes: int = 25 * 1024 * 1024
    max_attachment_chars: int = 200_000
    max_message_chars: int = 1_000_000
    attachment_seconds: float = 5.0
    max_depth: int = 5
    max_zip_members: int = 200
    max_zip_total_bytes: int = 50 * 1024 * 1024
    max_zip_ratio: int = 200
    max_attachments: int = 100
    max_body_chars: int = 2_000_000


DEFAULT_LIMITS = Limits()
