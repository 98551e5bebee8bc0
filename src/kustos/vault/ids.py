"""Object ids: BLAKE3 keyed with the customer's id key (dedup within a customer only).

Also: the customer-id rule (ids become path segments in the vault).
"""

from __future__ import annotations

import re

import blake3

from kustos.vault.errors import InvalidName

_CUSTOMER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


def check_customer_id(customer_id: str) -> str:
    if not isinstance(customer_id, str) or not _CUSTOMER.match(customer_id):
        raise InvalidName(f"invalid customer id {customer_id!r}: use letters, digits, '_', '.', '-'")
    return customer_id


class IdHasher:
    """Incremental keyed BLAKE3 of plaintext; ``hexdigest`` is the object id."""

    def __init__(self, id_key: bytes, data: bytes = b""):
        self._h = blake3.blake3(key=id_key)
        if data:
            self._h.update(data)

    def update(self, data: bytes | memoryview) -> None:
        self._h.update(data)

    def hexdigest(self) -> str:
        return self._h.hexdigest()


def object_id(id_key: bytes, data: bytes | memoryview) -> str:
    return blake3.blake3(data, key=id_key).hexdigest()
