"""The client's address of a request: THE one place that reads ``REMOTE_ADDR``.

Behind a reverse proxy every connection comes from the proxy, so the audit log and the
per-address sign-in lockout would lump all users together. The proxy names the client in
``X-Forwarded-For`` (nginx: ``$proxy_add_x_forwarded_for`` appends the address it saw). The
header is believed only when the direct peer is a trusted proxy (``KUSTOS_TRUSTED_PROXIES``;
loopback by default when ``KUSTOS_TRUST_PROXY=1``): then the entries are read from the right,
skipping trusted proxies, and the first untrusted one is the client. Whatever a client puts
into its own ``X-Forwarded-For`` stays to the left of what the trusted proxies appended, so it
is never reached: a client cannot choose its address. From any other peer the header is ignored.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

from kustos.config import Settings

LOOPBACK = ("127.0.0.0/8", "::1/128")
FORWARDED_FOR = "HTTP_X_FORWARDED_FOR"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def trusted_proxies(kustos: Settings) -> tuple[str, ...]:
    """The configured proxies; loopback when a TLS proxy is trusted but none are named."""
    if kustos.trusted_proxies:
        return tuple(kustos.trusted_proxies)
    return LOOPBACK if (kustos.trust_proxy or kustos.proxy_ssl_header) else ()


@lru_cache(maxsize=16)
def _networks(trusted: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in trusted)


def _address(text: str) -> Address | None:
    """An address from a peer or an X-Forwarded-For entry ("[v6]:port" and "v4:port" allowed);
    IPv4-mapped IPv6 (``::ffff:1.2.3.4``, dual-stack sockets) counts as the IPv4 address."""
    text = text.strip().strip('"')
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text.partition("%")[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_trusted(address: Address, networks: Iterable[Network]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def resolve(peer: str, forwarded_for: str, trusted: Sequence[str]) -> str:
    """The client's address given the direct ``peer``, the ``X-Forwarded-For`` value and the
    trusted proxies (addresses or CIDRs). Framework-free; ``client_ip`` is the request wrapper."""
    peer_address = _address(peer or "")
    if peer_address is None:
        return (peer or "").strip()
    networks = _networks(tuple(trusted))
    if not forwarded_for or not networks or not _is_trusted(peer_address, networks):
        return str(peer_address)
    nearest = peer_address  # the last hop known to be genuine
    for entry in reversed(forwarded_for.split(",")):
        if not entry.strip():
            continue
        address = _address(entry)
        if address is None:
            return str(nearest)  # a trusted proxy wrote something that is no address: stop at it
        if not _is_trusted(address, networks):
            return str(address)
        nearest = address
    return str(nearest)  # every hop is a trusted proxy: the farthest one is the client


def client_ip(request: HttpRequest) -> str:
    """The client's address of ``request`` (used by the audit log, axes' lockout, SSO and LDAP)."""
    meta = request.META
    return resolve(meta.get("REMOTE_ADDR", "") or "", meta.get(FORWARDED_FOR, "") or "",
                   trusted_proxies(settings.KUSTOS))
