"""Simple resolver/authenticator factories from static maps (CLI, tests, small setups)."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping


def address_map_resolver(mapping: Mapping[str, str]) -> Callable[[str], str | None]:
    """Journal address → customer id, matched case-insensitively (domains are, and
    local parts of generated journal addresses are lower case)."""
    table = {address.strip().lower(): customer for address, customer in mapping.items()}

    def resolve(address: str) -> str | None:
        return table.get(address.strip().strip("<>").lower())

    return resolve


def password_map_authenticator(mapping: Mapping[str, str]) -> Callable[[str, str], bool]:
    """Username → password check in constant time (for tests and single-tenant setups)."""
    table = dict(mapping)

    def check(username: str, password: str) -> bool:
        expected = table.get(username)
        return expected is not None and hmac.compare_digest(expected.encode(), password.encode())

    return check
