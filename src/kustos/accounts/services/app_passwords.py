"""App passwords: per-client passwords for read-only IMAP access to the archive.

The secret is shown once; only a Django password hash is stored (its first characters, ``prefix``,
find the row). End users have them only while their customer admin allows IMAP self-service
(``accounts.access.self_service_allows(user, customer, "imap")``); the IMAP login checks the same.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from kustos.accounts import access
from kustos.accounts.models import AppPassword, User
from kustos.audit import services as audit

PREFIX = "kap_"
PREFIX_LENGTH = 12
MAX_NAME = 100
MAX_ACTIVE = 50
FEATURE = "imap"


def allowed(user: User) -> bool:
    """May ``user`` have app passwords (end users: while IMAP self-service is on for their customer)?"""
    if not user.is_active:
        return False
    if user.customer is None:
        return True
    return access.self_service_allows(user, user.customer, FEATURE)


def _require_allowed(user: User) -> None:
    if not user.is_active:
        raise ValidationError(f"user {user.email} is deactivated")
    if not allowed(user):
        raise PermissionDenied("your administrator has turned off self-service imap for your organisation")


def create(user: User, name: str, *, actor: Any = None) -> tuple[AppPassword, str]:
    """Create an app password; returns (row, secret). The secret is not stored and is never shown again."""
    name = (name or "").strip()
    if not name:
        raise ValidationError("the app password needs a name (e.g. the device or mail client)")
    if len(name) > MAX_NAME:
        raise ValidationError(f"the name is too long ({len(name)} characters, at most {MAX_NAME})")
    _require_allowed(user)
    if list_for(user).filter(revoked_at__isnull=True).count() >= MAX_ACTIVE:
        raise ValidationError(f"at most {MAX_ACTIVE} active app passwords per user; revoke one first")
    secret = PREFIX + secrets.token_urlsafe(24)
    row = AppPassword.objects.create(user=user, name=name, prefix=secret[:PREFIX_LENGTH],
                                     secret_hash=make_password(secret))
    audit.record("app_password.create", actor=actor or user, target=row.id, customer=user.customer,
                 partner=user.partner_id or "", detail={"user": user.email, "name": name})
    return row, secret


def list_for(user: User) -> QuerySet[AppPassword]:
    return AppPassword.objects.filter(user=user).order_by("-created_at", "id")


def get(user: User, app_password_id: str) -> AppPassword:
    row = list_for(user).filter(id=app_password_id).first()
    if row is None:
        raise Http404("no such app password")
    return row


def revoke(user: User, app_password_id: str, *, actor: Any = None) -> AppPassword:
    """Revoke one of ``user``'s app passwords (404 for any other id); revoking twice is harmless."""
    row = get(user, app_password_id)
    if row.revoked_at is None:
        row.revoked_at = timezone.now()
        row.save(update_fields=["revoked_at"])
        audit.record("app_password.revoke", actor=actor or user, target=row.id, customer=user.customer,
                     partner=user.partner_id or "", detail={"user": user.email, "name": row.name})
    return row


def authenticate(user: User, secret: str) -> AppPassword | None:
    """The active app password of ``user`` whose secret this is, or None (also when app passwords are
    not allowed for the user any more). Updates ``last_used_at``."""
    if not secret.startswith(PREFIX) or len(secret) > 200 or not allowed(user):
        return None
    for row in AppPassword.objects.filter(user=user, prefix=secret[:PREFIX_LENGTH], revoked_at__isnull=True):
        if check_password(secret, row.secret_hash):
            now = timezone.now()
            AppPassword.objects.filter(id=row.id).update(last_used_at=now)
            row.last_used_at = now
            return row
    return None


def as_dict(row: AppPassword) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "created_at": row.created_at.isoformat(),
            "last_used_at": row.last_used_at.isoformat() if row.last_used_at else None,
            "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None, "active": row.active}
