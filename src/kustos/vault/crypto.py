"""AES-256-GCM sealing with context-bound associated data.

Every ciphertext is ``nonce(12) || ciphertext+tag``; the AAD names what the bytes are
(customer, kind and name/id), so a ciphertext moved to another place fails to open.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kustos.vault.errors import IntegrityError

NONCE = 12
OVERHEAD = NONCE + 16


def aad(*parts: str) -> bytes:
    """Associated data from labelled parts (NUL-separated, so parts cannot run together)."""
    return "\x00".join(("kustos/v1",) + parts).encode()


def seal(key: bytes, plaintext: bytes, associated: bytes) -> bytes:
    nonce = os.urandom(NONCE)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, associated)


def open_sealed(key: bytes, blob: bytes, associated: bytes, what: str) -> bytes:
    """Decrypt and authenticate; raises :class:`IntegrityError` naming ``what`` on failure."""
    if len(blob) < OVERHEAD:
        raise IntegrityError(f"{what}: ciphertext truncated ({len(blob)} bytes)")
    try:
        return AESGCM(key).decrypt(bytes(blob[:NONCE]), bytes(blob[NONCE:]), associated)
    except InvalidTag:
        raise IntegrityError(f"{what}: authentication failed (damaged or wrong key)")
