"""A background job as users see it: type, customer, state, progress, timing, error."""

from __future__ import annotations

from functools import partial

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kustos.core.ids import new_id
from kustos.tenants.models import Partner


class Job(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        RETRYING = "retrying", _("waiting to retry")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")

    id = models.CharField(primary_key=True, max_length=20, default=partial(new_id, "jb"), editable=False)
    kind = models.CharField(max_length=60, db_index=True)
    # Plain ids, not foreign keys: a job must outlive the customer it deleted.
    customer_id = models.CharField(max_length=20, blank=True, db_index=True)
    customer_name = models.CharField(max_length=200, blank=True)
    partner = models.ForeignKey(Partner, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs")
    state = models.CharField(max_length=20, choices=State.choices, default=State.QUEUED, db_index=True)
    progress = models.FloatField(default=0.0)  # 0..1
    progress_text = models.CharField(max_length=200, blank=True)
    params = models.JSONField(default=dict)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=3)
    created_by = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # While running: refreshed by the executing process (jobs.heartbeat); a running job whose
    # heartbeat is too old is reaped as failed (its process was killed or its machine lost).
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=200, blank=True)  # host:pid/thread of the executing process

    class Meta:
        ordering = ["-created_at"]

    @property
    def done(self) -> bool:
        return self.state in (self.State.SUCCEEDED, self.State.FAILED)

    @property
    def heartbeat_age(self) -> int | None:
        """Seconds since the last heartbeat of a running job (None when not running)."""
        if self.state != self.State.RUNNING or self.heartbeat_at is None:
            return None
        return max(0, int((timezone.now() - self.heartbeat_at).total_seconds()))

    @property
    def percent(self) -> int:
        return int(round(self.progress * 100))
