"""Per-customer lifecycle settings: how many different people must approve a deletion
proposal (1, or 2 for four-eyes)."""

from __future__ import annotations

from django.db import models

from kustos.tenants.models import Customer


class LifecycleSetting(models.Model):
    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, primary_key=True,
                                    related_name="lifecycle_setting")
    required_approvals = models.PositiveSmallIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.CharField(max_length=254, blank=True)
