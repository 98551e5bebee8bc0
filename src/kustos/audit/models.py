"""Append-only, hash-chained audit events (COMPLIANCE.md 7)."""

from __future__ import annotations

from django.db import models


class AuditHead(models.Model):
    """Single row holding the chain head; locked while appending so the chain stays linear."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    digest = models.CharField(max_length=64, default="0" * 64)


class AuditEvent(models.Model):
    seq = models.BigIntegerField(primary_key=True)
    at = models.DateTimeField(db_index=True)
    actor = models.CharField(max_length=254)  # e-mail, "system" or "cli"
    actor_role = models.CharField(max_length=20, blank=True)
    action = models.CharField(max_length=60, db_index=True)
    customer_id = models.CharField(max_length=20, blank=True, db_index=True)
    partner_id = models.CharField(max_length=20, blank=True, db_index=True)
    target = models.CharField(max_length=200, blank=True)
    outcome = models.CharField(max_length=20, default="ok")
    detail = models.JSONField(default=dict)
    ip = models.CharField(max_length=45, blank=True)
    prev_digest = models.CharField(max_length=64)
    digest = models.CharField(max_length=64)

    class Meta:
        ordering = ["-seq"]
