"""Users (e-mail login, one role, one scope), auditor grants and API tokens."""

from __future__ import annotations

from functools import partial

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kustos.accounts.roles import Role
from kustos.core.ids import new_id
from kustos.tenants.models import Customer, Partner


class UserManager(BaseUserManager):
    def create_user(self, email: str, password: str | None = None, **fields):
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields):
        fields.setdefault("role", Role.OPERATOR)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser):
    id = models.CharField(primary_key=True, max_length=20, default=partial(new_id, "us"), editable=False)
    email = models.EmailField(_("e-mail"), unique=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    partner = models.ForeignKey(Partner, null=True, blank=True, on_delete=models.CASCADE, related_name="users")
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="users")
    mailboxes = models.JSONField(_("own mailboxes"), default=list, blank=True)
    language = models.CharField(max_length=5, blank=True)
    is_active = models.BooleanField(default=True)
    # Set for one-time passwords (the first operator, invitations by CLI): the next login
    # must choose a new password before anything else works.
    must_change_password = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []
    objects = UserManager()

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email

    @property
    def is_staff(self) -> bool:  # Django admin is not used; kept False for every role
        return False

    def own_mailboxes(self) -> list[str]:
        boxes = [m.lower() for m in (self.mailboxes or [])]
        return boxes or [self.email.lower()]


class AuditorGrant(models.Model):
    """Read-only access of an auditor to one customer, for a date range, until an expiry."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="grants")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="auditor_grants")
    date_from = models.DateField(null=True, blank=True)
    date_to = models.DateField(null=True, blank=True)
    expires_at = models.DateTimeField()
    tax_relevant_only = models.BooleanField(default=True)
    # Lower-case addresses the grant is limited to; empty = every mailbox of the customer.
    mailboxes = models.JSONField(default=list, blank=True)
    granted_by = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "customer"], name="uniq_grant")]

    @property
    def active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class ApiToken(models.Model):
    """A per-user API token. Only a SHA-256 of the secret is stored; it is shown once."""

    id = models.CharField(primary_key=True, max_length=20, default=partial(new_id, "tk"), editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    @property
    def active(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())


class AppPassword(models.Model):
    """A password for mail clients (read-only IMAP access to the archive), one per device or client.

    Only a Django password hash of the secret is stored (``prefix``, the secret's first characters,
    finds the row without hashing every candidate); the secret is shown once at creation.
    """

    id = models.CharField(primary_key=True, max_length=20, default=partial(new_id, "ap"), editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="app_passwords")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, db_index=True)
    secret_hash = models.CharField(max_length=256)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    @property
    def active(self) -> bool:
        return self.revoked_at is None
