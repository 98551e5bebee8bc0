"""The operator's price list: a net price in EUR per service and unit, valid from a date until
the next price of the same service and unit. Partners see it in their area."""

from __future__ import annotations

from django.db import models

UNITS = {"archive": ("GB",), "backup": ("account",)}  # GB = 10^9 bytes of the month's maximum


class Price(models.Model):
    service = models.CharField(max_length=20)  # archive | backup
    unit = models.CharField(max_length=20)  # GB (archive: per GB of the month's maximum) | account
    price = models.DecimalField(max_digits=12, decimal_places=4)  # EUR per unit and month, net
    valid_from = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=254, blank=True)

    class Meta:
        ordering = ["service", "unit", "-valid_from"]
        constraints = [models.UniqueConstraint(fields=["service", "unit", "valid_from"], name="uniq_price_from")]
