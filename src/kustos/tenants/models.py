"""Operator → partner → customer, and the storage locations customers live in."""

from __future__ import annotations

from functools import partial

from django.db import models
from django.utils.translation import gettext_lazy as _

from kustos.core.ids import new_id

EU_COUNTRIES = {
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
}


class StorageLocation(models.Model):
    """Where a customer's data is stored (e.g. "de-fra-1" in DE); defined by the operator."""

    id = models.SlugField(primary_key=True, max_length=40)
    name = models.CharField(_("name"), max_length=120)
    country = models.CharField(_("country"), max_length=2, help_text=_("ISO 3166 code, e.g. DE"))
    vault_url = models.CharField(max_length=300, blank=True, help_text=_("empty = installation default"))
    outside_eu_override = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.id} ({self.country})"

    @property
    def in_eu(self) -> bool:
        return self.country.upper() in EU_COUNTRIES


class Partner(models.Model):
    id = models.CharField(primary_key=True, max_length=20, default=partial(new_id, "pa"), editable=False)
    name = models.CharField(_("name"), max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    """An end customer of a partner. Only a display name is required (a pseudonym is fine)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        DELETING = "deleting", _("deletion running")

    id = models.CharField(primary_key=True, max_length=20, default=partial(new_id, "cu"), editable=False)
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="customers")
    name = models.CharField(_("display name"), max_length=200)
    legal_name = models.CharField(_("legal company name"), max_length=300, blank=True)
    customer_number = models.CharField(_("customer number"), max_length=60, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    location = models.ForeignKey(StorageLocation, on_delete=models.PROTECT, related_name="customers")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    archiving_enabled = models.BooleanField(_("e-mail archiving"), default=True)
    backup_enabled = models.BooleanField(_("cloud backup"), default=False)
    storage_bytes = models.BigIntegerField(default=0)
    mailbox_count = models.IntegerField(default=0)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["partner", "name"], name="uniq_customer_name_per_partner")]

    def __str__(self) -> str:
        return self.name

    @property
    def services(self) -> list[str]:
        return [s for s, on in (("archive", self.archiving_enabled), ("backup", self.backup_enabled)) if on]


class SelfService(models.Model):
    """What a customer's end users may do themselves (their customer admin turns each on or off): search
    and read their own archived mail, download it (EML, PDF), restore it into their mailbox, and reach the
    archive from a mail client over IMAP with app passwords. No row means the defaults (all on)."""

    FEATURES = ("search", "download", "restore", "imap")

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, primary_key=True, related_name="self_service")
    search = models.BooleanField(_("search own archived mail"), default=True)
    download = models.BooleanField(_("download own mail (EML, PDF)"), default=True)
    restore = models.BooleanField(_("restore own mail into the mailbox"), default=True)
    imap = models.BooleanField(_("IMAP access with app passwords"), default=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.CharField(max_length=254, blank=True)


class DeletionRecord(models.Model):
    """What remains after a customer was crypto-shredded: proof of the deletion, no content."""

    id = models.CharField(primary_key=True, max_length=20, default=partial(new_id, "dr"), editable=False)
    customer_id = models.CharField(max_length=20, db_index=True)
    customer_name = models.CharField(max_length=200)
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="deletion_records")
    location_id = models.CharField(max_length=40)
    requested_by = models.CharField(max_length=254)
    requested_at = models.DateTimeField()
    deleted_at = models.DateTimeField()
    vault_record = models.JSONField(default=dict)

    class Meta:
        ordering = ["-deleted_at"]
