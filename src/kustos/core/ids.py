"""String identifiers: short, random, prefixed by what they name (never sequential)."""

from __future__ import annotations

import secrets

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case


def new_id(prefix: str, length: int = 12) -> str:
    """A random id such as ``cu_7f3k9x2m4q1a``; 60 bits of randomness at length 12."""
    return prefix + "_" + "".join(secrets.choice(_ALPHABET) for _ in range(length))
