"""When a customer's service (archive or backup) is billed: from its activation to its end.

Rows outlive the customer: cancelling is deleting the customer with all its data, and the month
of deletion is still billed, so customer id, name and legal name are copied here (billing is the
only use of them, PRODUCT.md §3) and the partner is kept.

A trial (14 days, once per customer and service) is a row with ``trial_started_at``; during the
trial nothing is charged. ``trial_then`` says what happens at its end: ``paid`` → billing starts
the day after (``activated_at``), ``end`` → the service ends (``ended_at``).
"""

from __future__ import annotations

from functools import partial

from django.db import models
from django.db.models import Q

from kustos.core.ids import new_id
from kustos.tenants.models import Partner

SERVICES = ("archive", "backup")


class ServiceActivation(models.Model):
    class Service(models.TextChoices):
        ARCHIVE = "archive", "e-mail archiving"
        BACKUP = "backup", "cloud-to-cloud backup"

    class Then(models.TextChoices):
        PAID = "paid", "continue paid"
        END = "end", "end"

    id = models.CharField(primary_key=True, max_length=20, default=partial(new_id, "sa"), editable=False)
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="service_activations")
    customer_id = models.CharField(max_length=20, db_index=True)  # stays after the customer is deleted
    customer_name = models.CharField(max_length=200)
    legal_name = models.CharField(max_length=300, blank=True)
    service = models.CharField(max_length=20, choices=Service.choices)
    # Billing starts here (None while only a trial runs). The whole calendar month is billed.
    activated_at = models.DateTimeField(null=True, blank=True)
    trial_started_at = models.DateTimeField(null=True, blank=True)
    trial_ends_at = models.DateTimeField(null=True, blank=True)
    trial_then = models.CharField(max_length=10, choices=Then.choices, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)  # billing ends with this month
    end_reason = models.CharField(max_length=100, blank=True)  # "trial ended", "customer deleted", ...
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=254, blank=True)

    class Meta:
        ordering = ["customer_name", "service", "created_at"]
        constraints = [
            # a trial can be activated once per customer and service
            models.UniqueConstraint(fields=["customer_id", "service"], condition=Q(trial_started_at__isnull=False),
                                    name="uniq_trial_per_customer_service"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_name} {self.service}"
