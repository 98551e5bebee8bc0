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
    - ``max_body_chars``: body_text / body_html are cut at this many characters;
      body parts are decoded only as far as that needs.
    - ``max_mime_depth``: nesting of multipart and message parts the MIME parser
      follows; a deeper entity is kept as one opaque part (defect
      ``MimeNestingTooDeep``).
    - ``max_parts``: MIME entities parsed per message; the rest of the multipart
      that reaches it is kept as one opaque part (defect ``TooManyParts``).
    - ``max_header_fields``: header fields kept per message, all entities
      together; further fields of a header block are skipped (defect
      ``TooManyHeaderFields``).
    - ``max_header_bytes``: longer header values are cut (defect
      ``HeaderTooLong``).
    - ``max_nested_decode_ratio``: encapsulated messages sent with a transfer
      encoding must be decoded into a buffer of their own; all such buffers of one
      message together may hold this many times the message's size, after which
      further ones stay opaque (defect ``NestedMessageNotDecoded``).

    Memory: the parser keeps offsets into the one message buffer, never a copy per
    level, so parsing needs a small multiple of the message size plus a constant
    that these limits bound (``tests/unit/mail/test_mail_memory.py`` measures it).
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
    max_mime_depth: int = 64
    max_parts: int = 5000
    max_header_fields: int = 20_000
    max_header_bytes: int = 1024 * 1024
    max_nested_decode_ratio: float = 1.0


DEFAULT_LIMITS = Limits()
