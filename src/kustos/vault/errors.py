"""Vault error classes; each carries its own clear message."""

from __future__ import annotations


class VaultError(Exception):
    """Base class of every vault error."""


class NotFound(VaultError):
    """A named backend object or a vault object id does not exist."""

    def __init__(self, name: str, what: str = "object"):
        super().__init__(f"{what} not found: {name}")
        self.name = name


class TransientError(VaultError):
    """A backend operation failed in a way that may succeed when retried."""


class PermanentError(VaultError):
    """A backend operation failed and retrying will not help."""


class IntegrityError(VaultError):
    """Stored data failed authentication or its hash does not match."""


class KeyError_(VaultError):
    """A key is missing, destroyed or cannot be unwrapped with this master key."""


class LockedError(VaultError):
    """Another writer holds the customer's write lock."""

    def __init__(self, customer_id: str, timeout: float):
        super().__init__(f"customer {customer_id!r} is locked by another writer (waited {timeout:.0f}s)")


class InvalidName(VaultError):
    """A customer id or object name contains characters the vault does not allow."""
