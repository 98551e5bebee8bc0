"""Retention classes and rules, deletion proposals with their approvals, and tombstones.

A message's retention end is stored on the message (``archive.Message.retention_end``)
together with the class, rule and rule version that set it; it only ever grows
(requirement 10). Deletion is never automatic: a run proposes expired, unheld messages,
people approve (``required_approvals`` 1 or 2: four-eyes), then the messages are deleted
and each leaves a content-free :class:`Tombstone` (requirement 13).
"""

from __future__ import annotations

from functools import partial

from django.db import models

from kustos.core.ids import new_id
from kustos.tenants.models import Customer


class RetentionClass(models.Model):
    id = models.CharField(primary_key=True, max_length=20, default=partial(new_id, "rc"), editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="retention_classes")
    name = models.CharField(max_length=100)
    years = models.PositiveSmallIntegerField(null=True, blank=True)  # None = keep forever
    tax_relevant = models.BooleanField(default=False)  # mail in this class is tax-relevant (req. 15)
    description = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=254, blank=True)

    class Meta:
        ordering = ["customer", "name"]
        constraints = [models.UniqueConstraint(fields=["customer", "name"], name="uniq_retention_class")]

    def __str__(self) -> str:
        return self.name

    @property
    def keep_forever(self) -> bool:
        return self.years is None


class RetentionRule(models.Model):
    """Which mail falls into a class. Empty criteria match everything; all given ones must
    match. ``version`` grows with every change; messages record the version that matched."""

    id = models.CharField(primary_key=True, max_length=20, default=partial(new_id, "rr"), editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="retention_rules")
    retention_class = models.ForeignKey(RetentionClass, on_delete=models.PROTECT, related_name="rules")
    mailbox = models.CharField(max_length=320, blank=True)  # lower-case address
    folder = models.CharField(max_length=1000, blank=True)  # folder path (prefix match)
    from_addr = models.CharField(max_length=320, blank=True)  # address or @domain
    query = models.CharField(max_length=2000, blank=True)  # archive search query
    tax_relevant = models.BooleanField(default=False)  # matching mail is tax-relevant (req. 15)
    priority = models.IntegerField(default=100)  # lower first; ties: longer retention wins
    version = models.PositiveIntegerField(default=1)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=254, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["customer", "priority", "created_at"]


class DeletionProposal(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "open"
        APPROVED = "approved", "approved"  # enough approvals, deletion queued or running
        DONE = "done", "done"  # deleted
        REJECTED = "rejected", "rejected"

    id = models.CharField(primary_key=True, max_length=20, default=partial(new_id, "dp"), editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="deletion_proposals")
    as_of = models.DateField()  # the run's date: messages whose retention ended before it
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    messages = models.IntegerField(default=0)
    bytes = models.BigIntegerField(default=0)
    required_approvals = models.PositiveSmallIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=254, blank=True)  # user or "scheduler"
    decided_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(default=dict, blank=True)  # {"deleted","held","packs_dropped",...}

    class Meta:
        ordering = ["-created_at"]


class ProposalItem(models.Model):
    proposal = models.ForeignKey(DeletionProposal, on_delete=models.CASCADE, related_name="items")
    message_id = models.CharField(max_length=20, db_index=True)  # archive id (the row goes on deletion)
    sha256 = models.CharField(max_length=64)
    retention_end = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["proposal", "message_id"], name="uniq_proposal_item")]


class DeletionApproval(models.Model):
    proposal = models.ForeignKey(DeletionProposal, on_delete=models.CASCADE, related_name="approvals")
    user = models.CharField(max_length=254)  # e-mail of the approving person
    approved_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["proposal", "user"], name="uniq_approval_user")]


class Tombstone(models.Model):
    """What remains of a deleted message: no content, no addresses, no subject."""

    id = models.CharField(primary_key=True, max_length=20, default=partial(new_id, "ts"), editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="tombstones")
    message_id = models.CharField(max_length=20, unique=True)  # the archive id of the deleted message
    seq = models.BigIntegerField()  # its ingest sequence number (the sequence stays gap-free)
    sha256 = models.CharField(max_length=64)
    vault_id = models.CharField(max_length=80)
    original_vault_id = models.CharField(max_length=80, blank=True)  # e.g. the .msg beside the RFC 822
    size = models.BigIntegerField(default=0)
    retention_class = models.CharField(max_length=100, blank=True)
    message_date = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    retention_end = models.DateField(null=True, blank=True)
    deleted_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.JSONField(default=list)  # e-mail addresses
    proposal = models.CharField(max_length=20, blank=True)
    reason = models.CharField(max_length=200, default="retention expired")

    class Meta:
        ordering = ["customer", "seq"]
