"""Mailbox cleanup runs: what one run of a source's cleanup rule (or ``kustos source cleanup``) did."""

from __future__ import annotations

from functools import partial

from django.db import models

from kustos.core.ids import new_id
from kustos.tenants.models import Customer


class MailboxCleanupRun(models.Model):
    """One cleanup of a source's mailbox at the server; the deleted ids and hashes are in the audit log."""

    id = models.CharField(primary_key=True, max_length=20, default=partial(new_id, "mc"), editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="mailbox_cleanups")
    source = models.CharField(max_length=20, db_index=True)  # the Source id (kept when the source is removed)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    dry_run = models.BooleanField(default=False)
    older_than_days = models.PositiveIntegerField(default=0)
    to_trash = models.BooleanField(default=False)
    actor = models.CharField(max_length=320, blank=True)
    deleted = models.IntegerField(default=0)
    kept = models.IntegerField(default=0)
    freed_bytes = models.BigIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-started_at"]


class MailboxCleanupMark(models.Model):
    """A reference whose message a cleanup removed from the server (or found gone there for good):
    later runs skip it, so a scheduled rule reads each archived message at most once."""

    ref = models.OneToOneField("archive.MessageRef", on_delete=models.CASCADE, primary_key=True,
                               related_name="cleanup_mark")
    run = models.CharField(max_length=20)  # MailboxCleanupRun id
    outcome = models.CharField(max_length=40)  # "deleted", "trash" or the permanent reason it is gone
    at = models.DateTimeField(auto_now_add=True)
