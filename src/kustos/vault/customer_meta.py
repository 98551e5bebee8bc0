"""The customer's own record in the vault: ``customers/<id>/meta``.

A small JSON document (id, name, legal name, partner id and name, location id, services,
created; never a secret) sealed with the customer's data key, so ``kustos vault recover`` can
recreate the partner and customer rows of an empty database from the vault and the master key
alone. Destroying the data key (crypto-shred) makes it unreadable with everything else.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from kustos.vault import crypto
from kustos.vault.errors import NotFound
from kustos.vault.ids import check_customer_id

if TYPE_CHECKING:
    from kustos.vault.vault import Vault


def meta_name(customer_id: str) -> str:
    return f"customers/{customer_id}/meta"


def _aad(customer_id: str) -> bytes:
    return crypto.aad("customer-meta", customer_id)


def write(vault: Vault, customer_id: str, record: dict[str, Any]) -> None:
    """Seal ``record`` with the customer's data key (created on first use) and store it."""
    check_customer_id(customer_id)
    key = vault.store(customer_id).key
    body = json.dumps({"v": 1, **record, "id": customer_id}, sort_keys=True, separators=(",", ":")).encode()
    vault.backend.store(meta_name(customer_id), crypto.seal(key.enc_key, body, _aad(customer_id)))


def read(vault: Vault, customer_id: str) -> dict[str, Any] | None:
    """The customer's record, or None for a vault written before customers were recorded."""
    check_customer_id(customer_id)
    try:
        blob = vault.backend.load(meta_name(customer_id))
    except NotFound:
        return None
    key = vault.keys.load(customer_id)
    record: dict[str, Any] = json.loads(crypto.open_sealed(key.enc_key, blob, _aad(customer_id),
                                                          f"record of customer {customer_id}"))
    return record


# --- the installation's storage locations, recorded in the installation's vault ----------------

LOCATIONS = "system/locations"


def write_locations(vault: Vault, rows: list[dict[str, Any]]) -> None:
    """Record every storage location (id, name, country, override, vault URL without credentials),
    sealed with the master key, so `vault recover` finds the locations' vaults from an empty database."""
    body = json.dumps({"v": 1, "locations": rows}, sort_keys=True, separators=(",", ":")).encode()
    vault.backend.store(LOCATIONS, crypto.seal(vault.keys.master, body, crypto.aad("locations")))


def read_locations(vault: Vault) -> list[dict[str, Any]]:
    try:
        blob = vault.backend.load(LOCATIONS)
    except NotFound:
        return []
    doc = json.loads(crypto.open_sealed(vault.keys.master, blob, crypto.aad("locations"), "storage locations record"))
    return list(doc.get("locations", []))


def remove_unused(vault: Vault, customer_id: str) -> int:
    """Delete a customer's key and record from a vault that holds no data of it (a customer without
    data moved to another location); returns the number of files removed."""
    check_customer_id(customer_id)
    names = list(vault.backend.list(f"customers/{customer_id}/"))
    for name in names:
        vault.backend.delete(name)
    vault.forget_store(customer_id)
    vault.cache.drop(customer_id)
    return len(names)
