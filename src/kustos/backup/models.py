"""Backup plans (one per source), the accounts a plan has seen and snapshot rows mirroring the vault."""

from __future__ import annotations

from functools import partial

from django.db import models
from django.utils import timezone

from kustos.archive.models import Source
from kustos.core.ids import new_id
from kustos.tenants.models import Customer

# Three runs a day by default.
DEFAULT_INTERVAL_MINUTES = 8 * 60


class BackupPlan(models.Model):
    """What of a source is backed up and how often. ``all_scopes`` means every scope the connection
    offers, including new ones; otherwise ``scopes`` lists the scope ids. ``services`` is a subset of
    what the kind offers (empty = all). ``activated_at`` is the billing start."""

    id = models.CharField(primary_key=True, max_length=20, default=partial(new_id, "bp"), editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="backup_plans")
    source = models.OneToOneField(Source, on_delete=models.CASCADE, related_name="backup_plan")
    all_scopes = models.BooleanField(default=True)
    scopes = models.JSONField(default=list, blank=True)
    services = models.JSONField(default=list, blank=True)
    interval_minutes = models.PositiveIntegerField(default=DEFAULT_INTERVAL_MINUTES)
    paused = models.BooleanField(default=False)
    activated_at = models.DateTimeField(default=timezone.now)
    cursors = models.JSONField(default=dict, blank=True)  # scope id -> cursor, committed with snapshots
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Retention (restic's forget --keep-*): every count 0 = unlimited, keep every snapshot.
    keep_last = models.PositiveIntegerField(default=0)
    keep_daily = models.PositiveIntegerField(default=0)
    keep_weekly = models.PositiveIntegerField(default=0)
    keep_monthly = models.PositiveIntegerField(default=0)
    keep_yearly = models.PositiveIntegerField(default=0)
    last_retention_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["customer", "created_at"]


class BackupAccount(models.Model):
    """A scope (user, drive, site, team) a plan has backed up; departed ones are kept and marked."""

    plan = models.ForeignKey(BackupPlan, on_delete=models.CASCADE, related_name="accounts")
    scope_id = models.CharField(max_length=300)
    name = models.CharField(max_length=300, blank=True)
    kind = models.CharField(max_length=40, blank=True)
    first_seen_at = models.DateTimeField(default=timezone.now)
    departed_at = models.DateTimeField(null=True, blank=True)
    last_snapshot = models.CharField(max_length=64, blank=True)
    last_status = models.CharField(max_length=20, blank=True)  # ok | failed (items failed)
    items = models.BigIntegerField(default=0)
    bytes = models.BigIntegerField(default=0)
    baseline = models.JSONField(null=True, blank=True)  # backupguard baseline (day buckets) of this account

    class Meta:
        ordering = ["plan", "name", "scope_id"]
        constraints = [models.UniqueConstraint(fields=["plan", "scope_id"], name="backup_account_unique")]


class BackupSnapshot(models.Model):
    """A committed vault snapshot of a plan (the vault is the truth; this row lists it fast)."""

    id = models.CharField(primary_key=True, max_length=64)  # the vault snapshot id
    plan = models.ForeignKey(BackupPlan, on_delete=models.CASCADE, related_name="snapshots")
    parent = models.CharField(max_length=64, blank=True)
    time = models.DateTimeField(db_index=True)
    complete = models.BooleanField(default=True)
    items = models.BigIntegerField(default=0)
    bytes = models.BigIntegerField(default=0)
    new_bytes = models.BigIntegerField(default=0)
    failed = models.JSONField(default=list, blank=True)  # [{"account", "path", "source_id", "error"}]

    class Meta:
        ordering = ["-time"]


class BackupAlert(models.Model):
    """An anomaly found in a snapshot of one account (backupguard finding)."""

    class Kind(models.TextChoices):
        MASS_DELETION = "mass_deletion", "mass deletion"
        MASS_MODIFICATION = "mass_modification", "mass modification"
        EXTENSION_CHANGE = "extension_change", "extension change"
        ENCRYPTED_CONTENT = "encrypted_content", "encrypted content"

    id = models.CharField(primary_key=True, max_length=20, default=partial(new_id, "ba"), editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="backup_alerts")
    plan = models.ForeignKey(BackupPlan, on_delete=models.CASCADE, related_name="alerts")
    account = models.ForeignKey(BackupAccount, on_delete=models.CASCADE, related_name="alerts")
    time = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    severity = models.CharField(max_length=20)  # warning | high | critical
    detail = models.TextField()
    count = models.PositiveIntegerField(default=0)
    snapshot = models.CharField(max_length=64)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.CharField(max_length=254, blank=True)

    class Meta:
        ordering = ["-time", "id"]


class BackupAccountSnapshot(models.Model):
    """One account in one snapshot: the per-account timeline and the protected-data chart read these."""

    snapshot = models.ForeignKey(BackupSnapshot, on_delete=models.CASCADE, related_name="account_rows")
    account = models.ForeignKey(BackupAccount, on_delete=models.CASCADE, related_name="snapshot_rows")
    time = models.DateTimeField(db_index=True)  # the snapshot's time (kept here to chart without a join)
    status = models.CharField(max_length=20, blank=True)  # ok | failed (items failed)
    items = models.BigIntegerField(default=0)
    bytes = models.BigIntegerField(default=0)
    added = models.BigIntegerField(default=0)
    changed = models.BigIntegerField(default=0)
    removed = models.BigIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-time"]
        constraints = [models.UniqueConstraint(fields=["snapshot", "account"], name="backup_account_snapshot_unique")]


class BackupItemVersion(models.Model):
    """One version (content) of one backed-up item, indexed once for full-text search.

    It is current from the snapshot that first held this content (``first_*``) until the snapshot in
    which it changed or disappeared (``gone_*``; null while current): it is in every snapshot of the
    plan with ``first_time <= time < gone_time``. The search document's id is ``id``."""

    id = models.CharField(primary_key=True, max_length=40)  # stable: derived from plan, account, path, first snapshot
    plan = models.ForeignKey(BackupPlan, on_delete=models.CASCADE, related_name="item_versions")
    account = models.CharField(max_length=300)
    path = models.TextField()
    kind = models.CharField(max_length=40)
    size = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    content_id = models.CharField(max_length=128, blank=True)  # the vault object id of the content
    modified = models.CharField(max_length=64, blank=True)  # ISO 8601 from the source
    first_snapshot = models.CharField(max_length=64)
    first_time = models.DateTimeField()
    gone_snapshot = models.CharField(max_length=64, blank=True)
    gone_time = models.DateTimeField(null=True, blank=True)
    text_skipped = models.CharField(max_length=200, blank=True)  # why the content's text was not indexed

    class Meta:
        ordering = ["plan", "account", "path", "first_time"]
        indexes = [models.Index(fields=["plan", "account", "path"], name="backup_itemversion_path"),
                   models.Index(fields=["plan", "gone_time"], name="backup_itemversion_gone")]


class BackupSearchState(models.Model):
    """How far the search index of a plan has come: the last snapshot whose changes are indexed."""

    plan = models.OneToOneField(BackupPlan, on_delete=models.CASCADE, primary_key=True, related_name="search_state")
    snapshot = models.CharField(max_length=64, blank=True)
    time = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
