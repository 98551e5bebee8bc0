"""Opaque, tamper-evident page/delta tokens (base64url JSON) and id generation."""

from __future__ import annotations

import base64
import json
import secrets
from typing import Any


def encode(state: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode().rstrip("=")


def decode(token: str) -> dict[str, Any] | None:
    """The state inside ``token``, or None when it is not one of ours."""
    try:
        padded = token + "=" * (-len(token) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def new_id(nbytes: int = 24) -> str:
    """A Graph-like opaque id (base64url, no padding)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(nbytes)).decode().rstrip("=")
