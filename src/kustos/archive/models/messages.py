"""Archive data model: customer → mailbox → folder → message references.

A Message is one unique raw message per customer (deduplicated by the SHA-256 of the
exact received bytes) with an immutable archive id and a gap-free per-customer ingest
sequence. Every mailbox/folder/envelope under which it arrived is a MessageRef, so
deduplication never loses who received it where.
"""

from __future__ import annotations

from functools import partial

from django.db import models

from kustos.core.ids import new_id
from kustos.tenants.models import Customer


class Mailbox(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="mailboxes")
    address = models.CharField(max_length=320)  # lower-case
    display_name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["address"]
        constraints = [models.UniqueConstraint(fields=["customer", "address"], name="uniq_mailbox")]

    def __str__(self) -> str:
        return self.address


class Folder(models.Model):
    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="folders")
    path = models.CharField(max_length=1000)  # original path, "/"-separated
    tax_relevant = models.BooleanField(default=False)  # flagged by the customer (req. 15)

    class Meta:
        ordering = ["path"]
        constraints = [models.UniqueConstraint(fields=["mailbox", "path"], name="uniq_folder")]

    def __str__(self) -> str:
        return f"{self.mailbox.address}/{self.path}"


class IngestCounter(models.Model):
    """The next ingest sequence number of a customer (locked while assigning)."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, primary_key=True)
    last_seq = models.BigIntegerField(default=0)


class Message(models.Model):
    id = models.CharField(primary_key=True, max_length=20, default=partial(new_id, "ms"), editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="messages")
    seq = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    vault_id = models.CharField(max_length=80)
    size = models.BigIntegerField()
    original_vault_id = models.CharField(max_length=80, blank=True)  # e.g. the .msg file beside its RFC 822
    original_kind = models.CharField(max_length=20, blank=True)
    kind = models.CharField(max_length=20, default="message")  # message, contact, appointment, task
    message_id = models.CharField(max_length=998, blank=True)
    subject = models.CharField(max_length=998, blank=True)
    from_addr = models.CharField(max_length=320, blank=True)
    to_addrs = models.JSONField(default=list)
    date = models.DateTimeField(null=True, blank=True, db_index=True)
    archived_at = models.DateTimeField(auto_now_add=True, db_index=True)
    has_attachments = models.BooleanField(default=False)
    attachment_count = models.IntegerField(default=0)
    parse_error = models.CharField(max_length=300, blank=True)
    retention_year = models.IntegerField(null=True, blank=True)  # the vault pack group (expiry year at ingest)
    # Retention (req. 8–10): the end only ever grows; class/rule/version record what set it.
    retention_end = models.DateField(null=True, blank=True, db_index=True)
    retention_class = models.CharField(max_length=100, blank=True)
    retention_rule = models.CharField(max_length=20, blank=True)
    retention_rule_version = models.PositiveIntegerField(null=True, blank=True)
    indexed = models.BooleanField(default=False, db_index=True)
    restricted = models.BooleanField(default=False)
    # Flagged by the customer as tax-relevant (first qualification, BFH XI R 15/23); auditors
    # whose grant says "tax-relevant only" see nothing else.
    tax_relevant = models.BooleanField(default=False, db_index=True)

    class Meta:
        ordering = ["-date"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "sha256"], name="uniq_message_hash"),
            models.UniqueConstraint(fields=["customer", "seq"], name="uniq_message_seq"),
        ]


class MessageRef(models.Model):
    """One arrival of a message: mailbox, folder and envelope (kept for every recipient)."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="refs")
    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="refs")
    folder = models.ForeignKey(Folder, on_delete=models.CASCADE, related_name="refs")
    source = models.CharField(max_length=40)  # import, imap:<id>, smtp, graph:<id>, ...
    source_ref = models.CharField(max_length=300, blank=True)  # file path, UID, ...
    envelope_from = models.CharField(max_length=320, blank=True)
    envelope_to = models.JSONField(default=list)
    added_at = models.DateTimeField(auto_now_add=True)
    # The mailbox's own facts at ingest (IMAP INTERNALDATE / Graph receivedDateTime / Gmail
    # internalDate, and flags in IMAP spelling); kept as first seen, used by restore and imapd.
    received_at = models.DateTimeField(null=True, blank=True)
    flags = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message", "folder"], name="uniq_ref_folder")]


class Quarantine(models.Model):
    """Input that could not be archived as a message; its bytes are kept in the vault."""

    id = models.CharField(primary_key=True, max_length=20, default=partial(new_id, "qu"), editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="quarantine")
    source = models.CharField(max_length=40)
    source_ref = models.CharField(max_length=1000)
    reason = models.CharField(max_length=500)
    vault_id = models.CharField(max_length=80, blank=True)
    size = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    # Where a retry files the message: the import's mailbox and the folder of the input.
    mailbox = models.CharField(max_length=320, blank=True)
    folder = models.CharField(max_length=1000, blank=True)
    # Set when a retry archived the kept bytes (the archive id of the resulting message).
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_message = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["-created_at"]
