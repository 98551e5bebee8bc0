"""Ingest rules (req. 24): exclude spam, newsletters or private mail from the archive, or keep
it only briefly. Evaluated before a message is stored; an excluded message is counted, never
silently dropped (the batch result and the audit event say how many and by which rule)."""

from __future__ import annotations

from functools import partial

from django.db import models

from kustos.core.ids import new_id
from kustos.tenants.models import Customer


class IngestRule(models.Model):
    class Field(models.TextChoices):
        SENDER = "sender", "sender"  # From or envelope sender: address, @domain or glob
        RECIPIENT = "recipient", "recipient"  # any To/Cc/envelope recipient
        HEADER = "header", "header"  # header ``header_name`` contains/matches ``pattern``
        SIZE = "size", "size"  # size in bytes greater than ``pattern``
        QUERY = "query", "query"  # an archive search query (evaluated on the parsed message)
        FOLDER = "folder", "folder"  # source folder path (glob)

    class Action(models.TextChoices):
        EXCLUDE = "exclude", "do not archive"
        SHORT_RETAIN = "short_retain", "archive with a short retention"

    id = models.CharField(primary_key=True, max_length=20, default=partial(new_id, "ir"), editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="ingest_rules")
    name = models.CharField(max_length=120)
    field = models.CharField(max_length=20, choices=Field.choices)
    header_name = models.CharField(max_length=100, blank=True)
    pattern = models.CharField(max_length=1000)
    action = models.CharField(max_length=20, choices=Action.choices, default=Action.EXCLUDE)
    retention_class = models.ForeignKey("lifecycle.RetentionClass", null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="ingest_rules")  # for SHORT_RETAIN
    active = models.BooleanField(default=True)
    matched = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=254, blank=True)

    class Meta:
        ordering = ["customer", "created_at"]
