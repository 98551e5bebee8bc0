"""Webhook signatures: ``X-Kustos-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>``.

Receivers recompute the HMAC over the ``X-Kustos-Timestamp`` header, a dot and the raw body, compare
in constant time and refuse old timestamps (replay)."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={mac}"


def verify(secret: str, timestamp: str, body: bytes, header: str) -> bool:
    return hmac.compare_digest(signature(secret, timestamp, body), header or "")
