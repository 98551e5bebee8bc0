"""Ending everything a user is signed in with: dashboard sessions and API tokens.

The one function ``end_all`` runs whenever a password changes (by the user, an admin or a
reset link) and when a user is deactivated, so a leaked password or token stops working there.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.utils import timezone

from kustos.accounts.models import ApiToken, User
from kustos.audit import services as audit


def _session_keys(user: User) -> list[str]:
    keys = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get(SESSION_KEY) == str(user.pk):
            keys.append(session.session_key)
    return keys


def end_all(user: User, *, reason: str, actor: Any = None) -> dict[str, int]:
    """Delete all of ``user``'s dashboard sessions and revoke all of its API tokens.

    ``reason`` is recorded (password_change, password_reset, password_set, deactivated)."""
    keys = _session_keys(user)
    sessions, _ = Session.objects.filter(session_key__in=keys).delete()
    tokens = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    audit.record("auth.sessions_ended", actor=actor, customer=user.customer, partner=user.partner_id or "",
                 target=user.id, detail={"reason": reason, "sessions": sessions, "tokens": tokens})
    return {"sessions": sessions, "tokens": tokens}
