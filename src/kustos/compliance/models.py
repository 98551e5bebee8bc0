"""Stored versions of a customer's procedure documentation (GoBD Verfahrensdokumentation).

A version is immutable once written: the content is kept byte-exact with its SHA-256, so an
old version downloads identically years later. A new version is stored only when the generated
content differs from the newest one.
"""

from __future__ import annotations

from functools import partial

from django.db import models

from kustos.core.ids import new_id
from kustos.tenants.models import Customer


class SavedSearch(models.Model):
    """A named archive search of a customer; shared read-only with the customer's auditors it
    is the Z2 evaluation the tax office asked for (requirement 16)."""

    id = models.CharField(primary_key=True, max_length=20, default=partial(new_id, "ss"), editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="saved_searches")
    name = models.CharField(max_length=200)
    query = models.CharField(max_length=2000)
    owner = models.CharField(max_length=254)  # e-mail of the creating user
    shared_with_auditors = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["customer", "name"]
        constraints = [models.UniqueConstraint(fields=["customer", "name"], name="uniq_saved_search")]


class ProcedureDocVersion(models.Model):
    id = models.CharField(primary_key=True, max_length=20, default=partial(new_id, "pd"), editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="procedure_docs")
    version = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=254)
    sha256 = models.CharField(max_length=64)
    software_version = models.CharField(max_length=40)
    content = models.TextField()  # Markdown, UTF-8

    class Meta:
        ordering = ["customer", "-version"]
        constraints = [models.UniqueConstraint(fields=["customer", "version"], name="uniq_procdoc_version")]

    def __str__(self) -> str:
        return f"{self.customer_id} v{self.version}"
