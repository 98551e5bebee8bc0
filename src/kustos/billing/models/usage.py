"""Usage history: per customer, service and day, what is billed — the archive's stored bytes and
the number of protected backup accounts (users, shared mailboxes, sites, team drives, Salesforce
orgs; ``detail`` splits them by kind). Sampled at least daily; a day keeps its maximum."""

from __future__ import annotations

from django.db import models

from kustos.tenants.models import Partner


class UsageSample(models.Model):
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="usage_samples")
    customer_id = models.CharField(max_length=20, db_index=True)  # stays after the customer is deleted
    service = models.CharField(max_length=20)  # archive | backup
    day = models.DateField()  # Europe/Berlin calendar day of the sample
    taken_at = models.DateTimeField()  # the newest sample of the day
    stored_bytes = models.BigIntegerField(default=0)  # archive: stored (compressed, deduplicated) bytes
    accounts = models.IntegerField(default=0)  # backup: protected accounts
    detail = models.JSONField(default=dict, blank=True)  # e.g. {"user": 40, "site": 3, "org": 1}

    class Meta:
        ordering = ["customer_id", "service", "day"]
        constraints = [models.UniqueConstraint(fields=["customer_id", "service", "day"], name="uniq_usage_day")]
