"""Notification routes (event type -> e-mail or webhook), webhook endpoints and their deliveries.

A webhook's secret is sealed at rest (``core.secrets``, bound to the endpoint id) and shown once,
at creation. A delivery is one event for one endpoint, retried with backoff until it succeeds or
runs out of attempts (``services.webhooks``)."""

from __future__ import annotations

from functools import partial

from django.db import models

from kustos.core.ids import new_id
from kustos.tenants.models import Partner

EVENT_TYPES = (
    "source.failing",
    "source.late",
    "backup.failing",
    "backup.late",
    "anomaly.detected",
    "trial.ending",
    "storage.growth",
    "evidence.renewal_due",
    "journal.silent",
)


class WebhookEndpoint(models.Model):
    id = models.CharField(primary_key=True, max_length=20, default=partial(new_id, "wh"), editable=False)
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=2000)
    secret_sealed = models.TextField()
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=254, blank=True)

    class Meta:
        ordering = ["partner_id", "created_at"]

    def __str__(self) -> str:
        return self.url


class NotificationRoute(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", "e-mail to addresses"
        ADMINS = "admins", "e-mail to the partner's admins"
        WEBHOOK = "webhook", "webhook"

    id = models.CharField(primary_key=True, max_length=20, default=partial(new_id, "nr"), editable=False)
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="notification_routes")
    event_type = models.CharField(max_length=40)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    addresses = models.JSONField(default=list, blank=True)  # channel "email"
    webhook = models.ForeignKey(WebhookEndpoint, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="routes")
    customer_id = models.CharField(max_length=20, blank=True)  # empty: every customer of the partner
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=254, blank=True)

    class Meta:
        ordering = ["partner_id", "event_type", "created_at"]


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        DELIVERED = "delivered", "delivered"
        FAILED = "failed", "failed"

    id = models.CharField(primary_key=True, max_length=20, default=partial(new_id, "wd"), editable=False)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.CharField(max_length=20)
    event_type = models.CharField(max_length=40)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.IntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_status_code = models.IntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]


class PartnerNotifySettings(models.Model):
    """Per partner: when stored volume growth is an event (``storage.growth``)."""

    partner = models.OneToOneField(Partner, on_delete=models.CASCADE, primary_key=True,
                                   related_name="notify_settings")
    growth_percent = models.PositiveIntegerField(default=50)  # stored bytes grew by more than this ...
    growth_days = models.PositiveIntegerField(default=1)  # ... within this many days (1 = a day, 7 = a week)
    trial_notice_days = models.PositiveIntegerField(default=3)  # trial.ending this many days before the end
