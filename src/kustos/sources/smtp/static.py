"""Simple resolver/authenticator factories from static maps (CLI, tests, small setups)."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping


class AddressMapResolver:
    """Journal address → customer id from a fixed map, matched case-insensitively
    (domains are, and local parts of generated journal addresses are lower case).

    ``blocking = False`` tells the receiver that a lookup is a dict access it may run
    on its event loop instead of handing it to a worker thread."""

    blocking = False

    def __init__(self, mapping: Mapping[str, str]) -> None:
        self.table = {address.strip().lower(): customer for address, customer in mapping.items()}

    def __call__(self, address: str) -> str | None:
        return self.table.get(address.strip().strip("<>").lower())


def address_map_resolver(mapping: Mapping[str, str]) -> Callable[[str], str | None]:
    """See :class:`AddressMapResolver`."""
    return AddressMapResolver(mapping)


def password_map_authenticator(mapping: Mapping[str, str]) -> Callable[[str, str], bool]:
    """Username → password check in constant time (for tests and single-tenant setups)."""
    table = dict(mapping)

    def check(username: str, password: str) -> bool:
        expected = table.get(username)
        return expected is not None and hmac.compare_digest(expected.encode(), password.encode())

    return check
