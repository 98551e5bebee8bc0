"""OCR of scanned attachments: one row per (message, attachment part) that may need it.

Rows are written "pending" at ingest for image and text-less PDF attachments; the
``archive.ocr`` job recognises them and records per attachment whether text was recognised,
why it failed or why it was skipped. The recognised text is kept here (bounded) so every
rebuild of the message's search document includes it (archive/documents.py).
"""

from __future__ import annotations

from django.db import models

from kustos.archive.models.messages import Message
from kustos.tenants.models import Customer


class OcrAttachment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        DONE = "done"
        FAILED = "failed"
        SKIPPED = "skipped"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="ocr_attachments")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="ocr_attachments")
    part_path = models.CharField(max_length=64)  # as in kustos.mail.Attachment.part_path
    filename = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(max_length=300, blank=True)
    chars = models.IntegerField(default=0)  # characters recognised
    pages = models.IntegerField(default=0)
    text = models.TextField(blank=True)  # the recognised text (indexed with the message)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["message_id", "part_path"]
        constraints = [models.UniqueConstraint(fields=["message", "part_path"], name="uniq_ocr_part")]
        indexes = [models.Index(fields=["customer", "status"], name="ocr_customer_status")]

    def __str__(self) -> str:
        return f"{self.message_id}/{self.part_path}: {self.status}"
