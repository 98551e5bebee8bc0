"""String identifiers: short, random, prefixed by what they name (never sequential)."""

from __future__ import annotations

import secrets

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case


def new_id(prefix: str, length: int = 12) -> str:
    """A random id such as ``cu_7f3k9x2m4q1a``; 60 bits of randomness at length 12.

    One call to the OS random source per id, five bits per character (ingest makes two ids
    per message, so drawing each character separately showed in its profile).
    """
    bits = secrets.randbits(5 * length)
    return prefix + "_" + "".join(_ALPHABET[(bits >> (5 * i)) & 31] for i in range(length))
