"""Per-user API tokens: shown once, stored as SHA-256, revocable."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.utils import timezone

from kustos.accounts.models import ApiToken, User
from kustos.audit import services as audit

PREFIX = "kst_"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create(user: User, name: str, *, actor: Any = None) -> tuple[ApiToken, str]:
    """Create a token; returns (record, secret). The secret is not stored and cannot be shown again."""
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name.strip() or "token", prefix=secret[:12],
                                    digest=_digest(secret))
    audit.record("token.create", actor=actor or user, target=token.id, customer=user.customer,
                 partner=user.partner_id or "")
    return token, secret


def authenticate(secret: str) -> User | None:
    if not secret.startswith(PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(digest=_digest(secret), revoked_at__isnull=True).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
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
