"""Which webhook URLs are allowed: https (plain http only to a loopback address the operator allows,
as in tests), no credentials in the URL, and every resolved address allowed by the installation's
egress policy (the one used for sources), so no partner reaches the server's own network."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

from kustos.sources.egress import EgressPolicy, EgressRefused


def check(url: str, policy: EgressPolicy) -> str:
    """The URL, stripped, when it may be used; ValidationError (one line) otherwise."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValidationError(f"invalid webhook URL {url!r}: {exc}") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValidationError(f"invalid webhook URL {url!r}: use https://host/path")
    if parts.username or parts.password:
        raise ValidationError("invalid webhook URL: no user name or password in the URL")
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        infos = policy.resolve(parts.hostname, port)
    except EgressRefused as exc:
        raise ValidationError(f"webhook URL refused: {exc}") from None
    except (socket.gaierror, UnicodeError):
        raise ValidationError(f"webhook URL refused: {parts.hostname} could not be resolved") from None
    if parts.scheme == "http":
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
        if not all(a.is_loopback for a in addresses):
            raise ValidationError(f"invalid webhook URL {url!r}: https is required")
    return url
