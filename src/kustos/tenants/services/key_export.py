"""Exporting a customer's data key as a passphrase-protected key file (for ``kustos-read``).

The one service behind ``kustos customer key export``, the API route and the dashboard action;
who may call it is decided by ``accounts.access`` (``Perm.CUSTOMER_KEY_EXPORT``: partner admins).
Every export is audited (never the key or the passphrase)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.audit import services as audit
from kustos.core import runtime
from kustos.tenants.models import Customer
from kustos.vault import key_export
from kustos.vault.key_export import MIN_PASSPHRASE

__all__ = ["MIN_PASSPHRASE", "export_key", "export_key_as", "filename"]


def filename(customer: Customer) -> str:
    return f"kustos-key-{customer.id}.json"


def export_key(customer: Customer, passphrase: str, *, actor: Any, ip: str = "") -> bytes:
    """The key file bytes; a too short passphrase is a ValidationError naming the rule."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise ValidationError(f"the passphrase must have at least {MIN_PASSPHRASE} characters")
    store = runtime.store_for(customer.id)
    try:
        data = key_export.encode(store.key, passphrase)
    except key_export.KeyFileError as exc:
        raise ValidationError(str(exc))
    audit.record("customer.key_export", actor=actor, customer=customer, target=customer.id,
                 detail={"key_id": store.key.key_id, "kdf": "scrypt"}, ip=ip)
    return data


def export_key_as(user: Any, customer_id: str, passphrase: str, ip: str = "") -> tuple[Customer, bytes]:
    """For a signed-in user: 404 outside the user's customers, 403 without the permission."""
    customer = access.get_customer(user, customer_id, Perm.CUSTOMER_KEY_EXPORT)
    return customer, export_key(customer, passphrase, actor=user, ip=ip)
