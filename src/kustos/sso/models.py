"""Identity providers (OIDC / LDAP) of a partner or a customer, and their sign-in policy.

A provider belongs to exactly one partner (its staff sign in with it) or one customer (its admins
and end users). ``config`` holds non-secret settings; ``secret_sealed`` the client secret or LDAP
bind password, sealed at rest with ``core.secrets`` bound to the provider id.
"""

from __future__ import annotations

from functools import partial

from django.db import models
from django.db.models import Q

from kustos.accounts.models import User
from kustos.core.ids import new_id
from kustos.tenants.models import Customer, Partner


class IdentityProvider(models.Model):
    class Kind(models.TextChoices):
        ENTRA = "entra", "Microsoft Entra ID"
        GOOGLE = "google", "Google Workspace"
        OIDC = "oidc", "OpenID Connect"
        LDAP = "ldap", "LDAP / Active Directory"

    id = models.CharField(primary_key=True, max_length=20, default=partial(new_id, "idp"), editable=False)
    partner = models.ForeignKey(Partner, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="identity_providers")
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="identity_providers")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    name = models.CharField(max_length=200)
    enabled = models.BooleanField(default=True)
    config = models.JSONField(default=dict, blank=True)
    secret_sealed = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(partner__isnull=False, customer__isnull=True)
                           | Q(partner__isnull=True, customer__isnull=False)),
                name="idp_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def owner_ref(self) -> str:
        """The AAD owner of the sealed secret."""
        return f"idp:{self.id}"


class SignInPolicy(models.Model):
    """How a partner's or a customer's users may sign in (one row per owner; absent = defaults)."""

    partner = models.OneToOneField(Partner, null=True, blank=True, on_delete=models.CASCADE,
                                   related_name="signin_policy")
    customer = models.OneToOneField(Customer, null=True, blank=True, on_delete=models.CASCADE,
                                    related_name="signin_policy")
    local_passwords = models.BooleanField(default=True)
    session_max_age_hours = models.PositiveIntegerField(default=12)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(partner__isnull=False, customer__isnull=True)
                           | Q(partner__isnull=True, customer__isnull=False)),
                name="signin_policy_one_owner",
            ),
        ]


class ExternalIdentity(models.Model):
    """The link of a Kustos user to an account at a provider (``subject`` = the ``sub`` / LDAP DN),
    and the mailbox addresses the provider reported at the last sign-in (replaced at each one)."""

    provider = models.ForeignKey(IdentityProvider, on_delete=models.CASCADE, related_name="identities")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="external_identities")
    subject = models.CharField(max_length=255)
    addresses = models.JSONField(default=list, blank=True)
    role = models.CharField(max_length=20, blank=True)  # the role the provider's groups gave last time
    created_at = models.DateTimeField(auto_now_add=True)
    last_sign_in = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["provider", "subject"], name="uniq_external_identity")]
