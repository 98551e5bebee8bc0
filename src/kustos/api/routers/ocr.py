"""/api/v1 OCR of scanned attachments: the customer's report and re-queueing failed attachments.
The per-message report is part of GET /api/v1/messages/{id} (``ocr``)."""

from __future__ import annotations

from ninja import Router

from kustos.archive.services import ocr

router = Router(tags=["archive"])


@router.get("/customers/{customer_id}/ocr", response=dict,
            summary="OCR of scanned attachments: counts per status and the failed attachments with their reason")
def status(request, customer_id: str):
    return ocr.status_as(request.auth, customer_id)


@router.post("/customers/{customer_id}/ocr/run", response=dict,
             summary="Queue the failed attachments again and start the OCR job (422 when OCR is off)")
def run(request, customer_id: str):
    return ocr.requeue_failed_as(request.auth, customer_id)
