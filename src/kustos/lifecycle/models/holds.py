"""Legal holds: a case holds messages (matched by a query, optionally limited to mailboxes).
Several holds can apply to one message; any active hold blocks its deletion (req. 12)."""

from __future__ import annotations

from functools import partial

from django.db import models

from kustos.core.ids import new_id
from kustos.tenants.models import Customer


class LegalCase(models.Model):
    id = models.CharField(primary_key=True, max_length=20, default=partial(new_id, "lc"), editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="legal_cases")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=254, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["customer", "name"], name="uniq_case_name")]


class LegalHold(models.Model):
    id = models.CharField(primary_key=True, max_length=20, default=partial(new_id, "lh"), editable=False)
    case = models.ForeignKey(LegalCase, on_delete=models.CASCADE, related_name="holds")
    query = models.CharField(max_length=2000, blank=True)  # archive search query; "" = everything
    mailboxes = models.JSONField(default=list, blank=True)  # lower-case; empty = all
    messages = models.IntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=254, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.CharField(max_length=254, blank=True)

    class Meta:
        ordering = ["-created_at"]

    @property
    def active(self) -> bool:
        return self.released_at is None


class HoldItem(models.Model):
    hold = models.ForeignKey(LegalHold, on_delete=models.CASCADE, related_name="items")
    message_id = models.CharField(max_length=20, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["hold", "message_id"], name="uniq_hold_item")]
