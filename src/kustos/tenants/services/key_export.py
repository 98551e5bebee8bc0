"""Exporting a customer's data key as a passphrase-protected key file (for ``kustos-read``).

The one service behind ``kustos customer key export``, the API route and the dashboard action;
who may call it is decided by ``accounts.access`` (partner admins and operators). Every export is
audited (never the key or the passphrase)."""

from __future__ import annotations

from typing import Any

from kustos.audit import services as audit
from kustos.core import runtime
from kustos.tenants.models import Customer
from kustos.vault import key_export


def export_key(customer: Customer, passphrase: str, *, actor: Any, ip: str = "") -> bytes:
    """The key file bytes; raises ``key_export.KeyFileError`` for a too short passphrase."""
    store = runtime.store_for(customer.id)
    data = key_export.encode(store.key, passphrase)
    audit.record("customer.key_export", actor=actor, customer=customer, target=customer.id,
                 detail={"key_id": store.key.key_id, "kdf": "scrypt"}, ip=ip)
    return data
