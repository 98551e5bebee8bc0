"""The text OCR recognised in a message's scanned attachments, for its search document.

Kept apart from the OCR service so ``documents.build_documents`` can add it to every rebuild
of a document (ingest of a new reference, tax flags, recovery) without importing the job side.
"""

from __future__ import annotations

from typing import Any

from kustos.archive.models import OcrAttachment


def texts(messages: list[Any]) -> dict[str, str]:
    """Recognised text per message id (only messages with attachments are looked up)."""
    ids = [m.id for m in messages if getattr(m, "has_attachments", True)]
    out: dict[str, list[str]] = {}
    if ids:
        rows = (OcrAttachment.objects.filter(message_id__in=ids, status=OcrAttachment.Status.DONE)
                .exclude(text="").order_by("message_id", "part_path").values_list("message_id", "text"))
        for mid, text in rows:
            out.setdefault(mid, []).append(text)
    return {mid: "\n".join(parts) for mid, parts in out.items()}


def report_row(r: OcrAttachment) -> dict[str, Any]:
    """One attachment's OCR outcome (no recognised text: that is searchable, not listed)."""
    return {"message": r.message_id, "attachment": r.filename or r.part_path, "part": r.part_path,
            "status": r.status, "reason": r.reason, "chars": r.chars, "pages": r.pages,
            "updated_at": r.updated_at.isoformat() if r.updated_at else None}


def report(message: Any) -> list[dict[str, Any]]:
    """The OCR report of one message, per attachment (message page, message API)."""
    return [report_row(r) for r in OcrAttachment.objects.filter(message_id=message.id)]


def annotate(message: Any, attachments: list[Any]) -> list[Any]:
    """The parsed attachments, each with ``ocr`` set to its report row (or None)."""
    by_part = {row["part"]: row for row in report(message)}
    for att in attachments:
        att.ocr = by_part.get(att.part_path)
    return attachments
