"""The customer key file: a customer's 64-byte data key protected by a passphrase.

Written by ``kustos customer key export`` and read by the standalone reader ``kustos-read``
(format: docs/FORMAT.md, "Customer key file"). JSON::

    {"format": "kustos-customer-key", "v": 1, "customer": ID, "key_id": KEY_ID,
     "kdf": {"name": "scrypt", "n": 32768, "r": 8, "p": 1, "salt": B64(16 bytes)},
     "alg": "AES-256-GCM", "wrapped": B64(nonce(12) || ciphertext+tag), "created_at": ISO}

The wrapping key is scrypt(passphrase UTF-8, salt, n, r, p, 32 bytes); the plaintext is the
data key (32 bytes AES key || 32 bytes BLAKE3 id key); the AAD is
``"kustos/v1\\0key-export\\0<customer>\\0<key_id>"``.
"""

from __future__ import annotations

import base64
import json
import os
from datetime import UTC, datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from kustos.vault import crypto
from kustos.vault.errors import VaultError
from kustos.vault.keys import DataKey

FORMAT = "kustos-customer-key"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 15, 8, 1
MIN_PASSPHRASE = 12


class KeyFileError(VaultError):
    """A passphrase that is too weak, or a key file that cannot be opened."""


def _wrapping_key(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode())


def _aad(customer_id: str, key_id: str) -> bytes:
    return crypto.aad("key-export", customer_id, key_id)


def encode(key: DataKey, passphrase: str) -> bytes:
    """The key file for ``key`` protected by ``passphrase`` (at least MIN_PASSPHRASE characters)."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise KeyFileError(f"the passphrase must have at least {MIN_PASSPHRASE} characters")
    salt = os.urandom(16)
    wrapping = _wrapping_key(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    nonce = os.urandom(12)
    sealed = nonce + AESGCM(wrapping).encrypt(nonce, key.enc_key + key.id_key, _aad(key.customer_id, key.key_id))
    doc = {"format": FORMAT, "v": 1, "customer": key.customer_id, "key_id": key.key_id,
           "kdf": {"name": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P,
                   "salt": base64.b64encode(salt).decode()},
           "alg": "AES-256-GCM", "wrapped": base64.b64encode(sealed).decode(),
           "created_at": datetime.now(UTC).isoformat(timespec="seconds")}
    return (json.dumps(doc, indent=1) + "\n").encode()


def decode(blob: bytes, passphrase: str) -> DataKey:
    """The data key in a key file (raises :class:`KeyFileError` on a wrong passphrase)."""
    try:
        doc = json.loads(blob)
        if doc.get("format") != FORMAT or doc.get("v") != 1 or doc["kdf"]["name"] != "scrypt":
            raise KeyFileError("not a Kustos customer key file")
        kdf = doc["kdf"]
        wrapping = _wrapping_key(passphrase, base64.b64decode(kdf["salt"]), int(kdf["n"]), int(kdf["r"]),
                                 int(kdf["p"]))
        sealed = base64.b64decode(doc["wrapped"])
        raw = AESGCM(wrapping).decrypt(sealed[:12], sealed[12:], _aad(doc["customer"], doc["key_id"]))
    except InvalidTag:
        raise KeyFileError("wrong passphrase or damaged key file")
    except (ValueError, KeyError, TypeError) as exc:
        raise KeyFileError(f"not a Kustos customer key file ({exc})")
    return DataKey(doc["customer"], doc["key_id"], raw[:32], raw[32:])
