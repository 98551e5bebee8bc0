"""Immutable pack files: sealed blobs appended into ~16-32 MiB files per retention group.

Pack layout: ``KVP1`` magic, then blobs, each ``nonce || AES-GCM(ciphertext+tag)`` with
AAD binding customer, blob type and blob id. Offsets/lengths live in the index. A pack is
stored in one atomic ``store`` when it is full or at commit; at most one open pack buffer
per retention group is kept in memory, so memory stays bounded by groups x pack size.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime

from kustos.vault import crypto
from kustos.vault.backends.base import Backend

MAGIC = b"KVP1"


def packs_prefix(customer_id: str) -> str:
    return f"customers/{customer_id}/packs/"


def blob_aad(customer_id: str, blob_type: str, blob_id: str) -> bytes:
    return crypto.aad("blob", customer_id, blob_type, blob_id)


def retain_until(group: str) -> datetime | None:
    """Object-lock date of a retention group: the end of its expiry year; none for ``keep``."""
    if not group.isdigit():
        return None
    return datetime(int(group) + 1, 1, 1, tzinfo=UTC)


class PackWriter:
    """Appends sealed blobs to per-group pack buffers and stores full packs."""

    def __init__(self, backend: Backend, customer_id: str, enc_key: bytes, pack_size: int,
                 on_store: Callable[[str, int], None] | None = None):
        self.backend = backend
        self.customer_id = customer_id
        self.enc_key = enc_key
        self.pack_size = pack_size
        self.on_store = on_store
        self._open: dict[str, tuple[str, bytearray]] = {}  # group -> (relative pack name, buffer)

    def add(self, group: str, blob_type: str, blob_id: str, payload: bytes) -> tuple[str, int, int]:
        """Seal and append; returns (relative pack name, offset, length)."""
        sealed = crypto.seal(self.enc_key, payload, blob_aad(self.customer_id, blob_type, blob_id))
        name, buf = self._open.get(group) or self._new(group)
        offset = len(buf)
        buf += sealed
        if len(buf) >= self.pack_size:
            self._store(group)
        return name, offset, len(sealed)

    def add_sealed(self, group: str, sealed: bytes) -> tuple[str, int, int]:
        """Append an already sealed blob (repacking: the AAD names no pack, so it moves as is)."""
        name, buf = self._open.get(group) or self._new(group)
        offset = len(buf)
        buf += sealed
        if len(buf) >= self.pack_size:
            self._store(group)
        return name, offset, len(sealed)

    def _new(self, group: str) -> tuple[str, bytearray]:
        entry = (f"packs/{group}/{secrets.token_hex(16)}", bytearray(MAGIC))
        self._open[group] = entry
        return entry

    def _store(self, group: str) -> None:
        name, buf = self._open.pop(group)
        self.backend.store(f"customers/{self.customer_id}/{name}", bytes(buf), retain_until(group))
        if self.on_store:
            self.on_store(name, len(buf))

    def flush(self) -> None:
        """Store every open pack (called by commit before index files are written)."""
        for group in sorted(self._open):
            self._store(group)

    def discard(self) -> None:
        self._open.clear()


def read_blob(backend: Backend, customer_id: str, enc_key: bytes, pack: str, offset: int, length: int,
              blob_type: str, blob_id: str) -> bytes:
    """Load and authenticate one blob; raises IntegrityError naming the blob when damaged."""
    sealed = backend.load(f"customers/{customer_id}/{pack}", offset, length)
    return crypto.open_sealed(enc_key, sealed, blob_aad(customer_id, blob_type, blob_id),
                              f"blob {blob_id} in {pack}")
