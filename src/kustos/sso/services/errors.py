"""Sign-in failures, each with a short machine reason (audit log) and a one-line message for people."""

from __future__ import annotations


class SsoError(Exception):
    reason = "failed"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        if reason:
            self.reason = reason


class ProviderUnavailable(SsoError):
    """The provider is unknown, disabled, misconfigured or could not be reached."""

    reason = "provider_unavailable"


class InvalidState(SsoError):
    """The callback's state is unknown, was already used or is too old (replay)."""

    reason = "invalid_state"


class ProviderRefused(SsoError):
    """The provider answered the authorization or token request with an error."""

    reason = "provider_error"


class InvalidToken(SsoError):
    """The ID token's signature or claims did not verify (audience, issuer, expiry, nonce, key)."""

    reason = "invalid_token"


class NotAllowed(SsoError):
    """The identity is valid but may not sign in here (tenant, domain, unverified e-mail, no role)."""

    reason = "not_allowed"
