"""Master key and per-customer data keys.

The master key (32 bytes) comes from ``KUSTOS_MASTER_KEY`` (base64 or hex) or a key file
created with mode 0600 at first use. Each customer has one random 64-byte data key
(32 bytes AES-256-GCM key + 32 bytes BLAKE3 id key), stored in the vault at
``customers/<id>/key`` wrapped with the master key; the AAD binds customer id and key id.
Deleting that object crypto-shreds the customer. Rotating the master key rewraps data keys
only; no data is rewritten.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import blake3

from kustos.vault import crypto
from kustos.vault.backends.base import Backend
from kustos.vault.errors import IntegrityError, KeyError_, NotFound, VaultError


class MasterKeyError(VaultError):
    """The master key is malformed or does not match the vault."""


def parse_master_key(text: str) -> bytes:
    """Decode a 32-byte key given as 64 hex digits or base64."""
    text = text.strip()
    raw: bytes | None = None
    if len(text) == 64:
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            raw = None
    if raw is None:
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raw = None
    if raw is None or len(raw) != 32:
        raise MasterKeyError("master key must be 32 bytes given as 64 hex digits or base64")
    return raw


MIN_DISTINCT_BYTES = 16  # 32 random bytes have ~30 distinct values; fewer than 16 is not random


def master_key_weakness(text: str) -> str:
    """Why a configured master key is unfit (names the rule), or "" for a strong key.

    Rules: exactly 32 bytes after decoding (64 hex digits or base64); not one byte or a
    short pattern repeated; at least MIN_DISTINCT_BYTES distinct byte values."""
    try:
        raw = parse_master_key(text)
    except MasterKeyError:
        return "it must decode to exactly 32 bytes (64 hex digits or base64)"
    for period in range(1, len(raw) // 2 + 1):
        if all(raw[i] == raw[i - period] for i in range(period, len(raw))):
            return (f"it repeats a pattern of {period} byte{'s' if period > 1 else ''}; "
                    "generate it with `openssl rand -hex 32`")
    distinct = len(set(raw))
    if distinct < MIN_DISTINCT_BYTES:
        return (f"it has only {distinct} distinct byte values (at least {MIN_DISTINCT_BYTES} required); "
                "generate it with `openssl rand -hex 32`")
    return ""


def load_master_key(key_text: str, key_file: Path) -> bytes:
    """The configured key, else the key file (created with mode 0600 if missing)."""
    if key_text:
        return parse_master_key(key_text)
    key_file = Path(key_file)
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return parse_master_key(key_file.read_text())
        with os.fdopen(fd, "w") as fh:
            fh.write(base64.b64encode(secrets.token_bytes(32)).decode() + "\n")
            fh.flush()
            os.fsync(fh.fileno())
    return parse_master_key(key_file.read_text())


def master_id(master: bytes) -> str:
    """A public fingerprint of the master key (detects a wrong key before any decryption)."""
    return blake3.blake3(b"kustos master key id", key=master).hexdigest()[:16]


@dataclass(frozen=True)
class DataKey:
    customer_id: str
    key_id: str
    enc_key: bytes  # AES-256-GCM
    id_key: bytes  # BLAKE3 keyed hashing of object ids


def key_name(customer_id: str) -> str:
    return f"customers/{customer_id}/key"


def _wrap_aad(customer_id: str, key_id: str) -> bytes:
    return crypto.aad("datakey", customer_id, key_id)


def wrap(master: bytes, key: DataKey) -> bytes:
    sealed = crypto.seal(master, key.enc_key + key.id_key, _wrap_aad(key.customer_id, key.key_id))
    doc = {"v": 1, "customer": key.customer_id, "key_id": key.key_id, "master_id": master_id(master),
           "alg": "AES-256-GCM", "wrapped": base64.b64encode(sealed).decode()}
    return json.dumps(doc, sort_keys=True).encode()


def unwrap(master: bytes, customer_id: str, blob: bytes) -> DataKey:
    doc = json.loads(blob)
    if doc.get("customer") != customer_id:
        raise KeyError_(f"key object of customer {customer_id!r} names {doc.get('customer')!r}")
    if doc.get("master_id") != master_id(master):
        raise MasterKeyError(f"customer {customer_id!r} key is wrapped by another master key "
                             f"({doc.get('master_id')}); check KUSTOS_MASTER_KEY")
    try:
        raw = crypto.open_sealed(master, base64.b64decode(doc["wrapped"]),
                                 _wrap_aad(customer_id, doc["key_id"]), f"data key of {customer_id}")
    except IntegrityError as exc:
        raise KeyError_(str(exc))
    return DataKey(customer_id, doc["key_id"], raw[:32], raw[32:])


class KeyStore:
    """Loads, creates, destroys and rewraps customers' data keys in a backend."""

    def __init__(self, backend: Backend, master: bytes):
        self.backend = backend
        self.master = master

    def load(self, customer_id: str) -> DataKey:
        try:
            blob = self.backend.load(key_name(customer_id))
        except NotFound:
            raise KeyError_(f"customer {customer_id!r} has no data key (never used or destroyed)")
        return unwrap(self.master, customer_id, blob)

    def create(self, customer_id: str) -> DataKey:
        raw = secrets.token_bytes(64)
        key = DataKey(customer_id, secrets.token_hex(8), raw[:32], raw[32:])
        self.backend.store(key_name(customer_id), wrap(self.master, key))
        return key

    def destroy(self, customer_id: str) -> str:
        """Delete the wrapped key; returns the destroyed key id."""
        key_id = json.loads(self.backend.load(key_name(customer_id))).get("key_id", "")
        self.backend.delete(key_name(customer_id))
        return str(key_id)

    def rewrap(self, customer_id: str, new_master: bytes) -> None:
        key = self.load(customer_id)
        self.backend.store(key_name(customer_id), wrap(new_master, key))
