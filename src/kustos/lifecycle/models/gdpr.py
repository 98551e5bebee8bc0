"""Data-subject requests (Art. 15 access, Art. 17 erasure, Art. 18 restriction) and the
decision taken for every message concerning the subject, with its reason (req. 22, 23)."""

from __future__ import annotations

from functools import partial

from django.db import models

from kustos.core.ids import new_id
from kustos.tenants.models import Customer


class GdprRequest(models.Model):
    class Kind(models.TextChoices):
        ACCESS = "access", "access (Art. 15)"
        ERASE = "erase", "erasure (Art. 17)"
        RESTRICT = "restrict", "restriction (Art. 18)"

    id = models.CharField(primary_key=True, max_length=20, default=partial(new_id, "gr"), editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="gdpr_requests")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    subject = models.CharField(max_length=320)  # the data subject's address (lower-case)
    messages = models.IntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=254, blank=True)
    summary = models.JSONField(default=dict, blank=True)  # counts per decision

    class Meta:
        ordering = ["-created_at"]


class GdprDecision(models.Model):
    class Decision(models.TextChoices):
        DISCLOSED = "disclosed", "disclosed"  # access: part of the report/export
        RESTRICTED = "restricted", "restricted"  # kept for the blocking purpose, hidden from search
        DELETION_PROPOSED = "deletion_proposed", "deletion proposed"  # goes through approval (req. 11)
        DELETED = "deleted", "deleted"

    request = models.ForeignKey(GdprRequest, on_delete=models.CASCADE, related_name="decisions")
    message_id = models.CharField(max_length=20, db_index=True)
    decision = models.CharField(max_length=20, choices=Decision.choices)
    reason = models.CharField(max_length=300)
    retention_end = models.DateField(null=True, blank=True)
    holds = models.JSONField(default=list, blank=True)  # ids of the holds that block deletion
    proposal = models.CharField(max_length=20, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["request", "message_id"], name="uniq_gdpr_decision")]
