"""Passwords: the rules (Django's validators), setting one (which ends every session and
token of the user), and reset/invitation mails whose links use the configured address."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import PasswordResetForm

from kustos.accounts.models import User
from kustos.accounts.services import sessions
from kustos.audit import services as audit

# The first operator's one-time password, when `kustos serve` could not show it on a terminal.
FIRST_OPERATOR_PASSWORD_FILE = "first-operator-password.txt"


def validate(password: str, user: User) -> None:
    """Raise ValidationError with the reasons when ``password`` breaks a rule (length, common,
    numeric only, too similar to the e-mail address or name)."""
    password_validation.validate_password(password, user)


def set_password(user: User, password: str, *, actor: Any = None, reason: str = "password_change") -> User:
    """Check the rules, store the new password, clear a pending forced change, and end all of
    the user's sessions and API tokens."""
    validate(password, user)
    user.set_password(password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    audit.record("auth.password_changed", actor=actor or user, customer=user.customer,
                 partner=user.partner_id or "", target=user.id, detail={"reason": reason})
    sessions.end_all(user, reason=reason, actor=actor or user)
    _forget_first_operator_password(user)
    return user


def _forget_first_operator_password(user: User) -> None:
    """The file holding the first operator's one-time password goes once that password is replaced."""
    path = settings.KUSTOS.home / FIRST_OPERATOR_PASSWORD_FILE
    try:
        owner = path.read_text().split()[0]
    except (OSError, IndexError):
        return
    if owner == user.email:
        path.unlink(missing_ok=True)


def link_base() -> str:
    """Scheme, host and path prefix for links in e-mails: KUSTOS_BASE_URL, never a request header."""
    return settings.KUSTOS.public_url


class ConfiguredLinkResetForm(PasswordResetForm):
    """Django's reset form, but links come from KUSTOS_BASE_URL: the request and its Host
    header are never used (a forged Host cannot send a victim a link to another site)."""

    def save(self, *, domain_override: str | None = None, use_https: bool = False, request: Any = None,
             extra_email_context: dict | None = None, **kwargs: Any) -> None:
        base = link_base()
        parts = urlsplit(base)
        super().save(domain_override=parts.netloc, use_https=parts.scheme == "https", request=None,
                     extra_email_context={**(extra_email_context or {}), "base_url": base}, **kwargs)


def send_reset(email: str, *, invitation: bool = False) -> None:
    """Mail a password link to ``email`` if an active user has it (silently nothing otherwise)."""
    names = ("invite_email.txt", "invite_subject.txt") if invitation else ("reset_email.txt", "reset_subject.txt")
    form = ConfiguredLinkResetForm({"email": email})
    if form.is_valid():
        form.save(email_template_name=f"kustos/auth/{names[0]}", subject_template_name=f"kustos/auth/{names[1]}")
