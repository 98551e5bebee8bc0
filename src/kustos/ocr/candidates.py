"""Which parsed attachments may need OCR, decided from the parse result alone (cheap, at ingest).

An attachment is a candidate when text extraction left (almost) no text and it claims or looks
like an image or a PDF; the OCR job sniffs the real bytes before anything runs on them.
"""

from __future__ import annotations

from typing import Any

# fewer non-space characters than this: the PDF has no real text layer (a scan)
NEAR_EMPTY = 20
_IMAGE_EXT = (".png", ".jpg", ".jpeg", ".jpe", ".tif", ".tiff", ".gif", ".pdf")
_TYPES = ("image/png", "image/jpeg", "image/pjpeg", "image/tiff", "image/gif", "application/pdf",
          "application/x-pdf", "application/octet-stream")


def near_empty(text: str) -> bool:
    return sum(1 for c in text if not c.isspace()) < NEAR_EMPTY


def is_candidate(attachment: Any) -> bool:
    """True for an image or PDF attachment (by declared type or name) without extracted text.
    Inline images (logos in HTML mail, referenced by Content-ID) are not candidates."""
    if getattr(attachment, "size", 0) <= 0 or getattr(attachment, "members", None):
        return False
    if getattr(attachment, "inline", False) and getattr(attachment, "content_id", ""):
        return False
    ctype = (getattr(attachment, "content_type", "") or "").lower()
    name = (getattr(attachment, "filename", "") or "").lower()
    if not (ctype in _TYPES or name.endswith(_IMAGE_EXT)):
        return False
    return near_empty(getattr(attachment, "text", "") or "")
