"""Resumable uploads of mail files (PST, MBOX, ZIP of EMLs, ...) for import."""

from __future__ import annotations

from functools import partial

from django.db import models

from kustos.core.ids import new_id
from kustos.tenants.models import Customer


class Upload(models.Model):
    class State(models.TextChoices):
        RECEIVING = "receiving"
        COMPLETE = "complete"

    id = models.CharField(primary_key=True, max_length=20, default=partial(new_id, "up"), editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="uploads")
    created_by = models.CharField(max_length=254)
    filename = models.CharField(max_length=255)
    mailbox = models.CharField(max_length=320)
    size = models.BigIntegerField()
    received = models.BigIntegerField(default=0)
    state = models.CharField(max_length=20, choices=State.choices, default=State.RECEIVING)
    job_id = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
