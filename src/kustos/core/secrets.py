"""Secrets at rest (source passwords, client secrets, service-account keys).

Sealed with AES-256-GCM under a key derived (HKDF-SHA256) from the installation's
master key; the AAD binds the secret to its owner record, so a sealed value copied
to another record does not open. Plaintext secrets are never logged or returned by
the API.
"""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kustos.core import runtime
from kustos.vault.crypto import open_sealed, seal
from kustos.vault.keys import load_master_key


@lru_cache(maxsize=1)
def _key() -> bytes:
    s = runtime.settings()
    master = load_master_key(s.master_key, s.master_key_file)
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"kustos secrets v1").derive(master)


def seal_secret(plaintext: str, owner: str) -> str:
    if not plaintext:
        return ""
    return base64.b64encode(seal(_key(), plaintext.encode(), owner.encode())).decode()


def open_secret(sealed: str, owner: str) -> str:
    if not sealed:
        return ""
    return open_sealed(_key(), base64.b64decode(sealed), owner.encode(), f"secret of {owner}").decode()


def reset() -> None:
    _key.cache_clear()
