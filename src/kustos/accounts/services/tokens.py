"""Per-user API tokens: shown once, stored as SHA-256, expiring, revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from kustos.accounts.models import ApiToken, User
from kustos.audit import services as audit

PREFIX = "kst_"
MAX_LIFETIME_DAYS = 3650


class TokenExpired(Exception):
    """A known token whose lifetime is over; the message says when it expired."""


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def default_lifetime_days() -> int:
    return settings.KUSTOS.token_lifetime_days


def create(user: User, name: str, *, expires_days: int | None = None, actor: Any = None) -> tuple[ApiToken, str]:
    """Create a token; returns (record, secret). The secret is not stored and cannot be shown again.
    It expires after ``expires_days`` (default: KUSTOS_TOKEN_LIFETIME_DAYS)."""
    days = default_lifetime_days() if expires_days is None else expires_days
    if not 1 <= days <= MAX_LIFETIME_DAYS:
        raise ValidationError(f"the token lifetime must be between 1 and {MAX_LIFETIME_DAYS} days (got {days})")
    if not user.is_active:
        raise ValidationError(f"user {user.email} is deactivated")
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name.strip() or "token", prefix=secret[:12],
                                    digest=_digest(secret), expires_at=timezone.now() + timedelta(days=days))
    audit.record("token.create", actor=actor or user, target=token.id, customer=user.customer,
                 partner=user.partner_id or "", detail={"expires_at": token.expires_at.isoformat()})
    return token, secret


def authenticate(secret: str, *, now: datetime | None = None) -> User | None:
    """The token's user; None for unknown or revoked tokens and inactive users.
    Raises TokenExpired for a token whose lifetime is over."""
    if not secret.startswith(PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(digest=_digest(secret), revoked_at__isnull=True).first()
    if token is None or not token.user.is_active:
        return None
    now = now or timezone.now()
    if token.expires_at is not None and token.expires_at <= now:
        raise TokenExpired(f"this API token expired at {token.expires_at.isoformat(timespec='seconds')}; "
                           "create a new one")
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(id=token.id).update(last_used_at=now)
    return token.user


def revoke(token: ApiToken, *, actor: Any = None) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record("token.revoke", actor=actor, target=token.id, customer=token.user.customer,
                     partner=token.user.partner_id or "")
    return token
