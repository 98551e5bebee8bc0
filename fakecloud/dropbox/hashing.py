"""Dropbox's ``content_hash``: SHA-256 of the concatenated SHA-256 digests of every 4 MiB block."""

from __future__ import annotations

import hashlib

BLOCK = 4 * 1024 * 1024


def content_hash(data: bytes) -> str:
    digests = b"".join(hashlib.sha256(data[i:i + BLOCK]).digest() for i in range(0, len(data), BLOCK))
    return hashlib.sha256(digests).hexdigest()
