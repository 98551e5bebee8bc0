"""Connected sources (any kind of ``kustos.sources.kinds``) and per-customer SMTP journaling endpoints."""

from __future__ import annotations

from functools import partial

from django.db import models

from kustos.core.ids import new_id
from kustos.tenants.models import Customer


def default_services() -> list[str]:
    return ["archive"]


class Source(models.Model):
    """One connection to a source of a kind in ``kustos.sources.kinds.registry`` (the kind's name is
    stored, never a fixed list of choices, so a new kind needs no schema change). ``services`` is the
    set of services this one connection serves: ``archive`` today, ``backup`` with the backup engine."""

    id = models.CharField(primary_key=True, max_length=20, default=partial(new_id, "sr"), editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="sources")
    kind = models.CharField(max_length=40)
    services = models.JSONField(default=default_services)  # enabled services: "archive", later "backup"
    name = models.CharField(max_length=200)
    config = models.JSONField(default=dict)  # never holds secrets
    secret = models.TextField(blank=True)  # sealed with kustos.core.secrets
    paused = models.BooleanField(default=False)
    interval_minutes = models.PositiveIntegerField(default=15)
    cursors = models.JSONField(default=dict)  # scope id -> opaque connector cursor
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    items_archived = models.BigIntegerField(default=0)
    last_item_at = models.DateTimeField(null=True, blank=True)
    alerted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["customer", "name"]

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"


class JournalEndpoint(models.Model):
    """The customer's SMTP journaling address: ``<local_part>@<smtp_domain>``."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, primary_key=True,
                                    related_name="journal_endpoint")
    local_part = models.CharField(max_length=64, unique=True)
    # Client networks (IPs/CIDRs) that may deliver to this address at all; empty = any.
    allowed_hosts = models.JSONField(default=list, blank=True)
    # Journal reports are unwrapped only when they come from one of these networks, or over
    # authenticated SMTP when trust_authenticated is set; otherwise only the bytes as received
    # are archived.
    trusted_hosts = models.JSONField(default=list, blank=True)
    trust_authenticated = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
