"""Client addresses and network lists of the journaling receiver (IPs and CIDRs)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class BadNetwork(ValueError):
    def __init__(self, value: str) -> None:
        super().__init__(f"not an IP address or network (CIDR): {value!r}")


def parse_network(value: str | Network) -> Network:
    """``"10.0.0.0/8"``, ``"192.0.2.7"``, ``"2001:db8::/32"`` → network; BadNetwork otherwise."""
    if not isinstance(value, str):
        return value
    try:
        return ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        raise BadNetwork(value) from None


def parse_networks(networks: Iterable[str | Network] | None) -> list[Network] | None:
    """``None`` (everyone may connect) or the parsed allow-list (``"10.0.0.0/8"``, ``"::1"``)."""
    if networks is None:
        return None
    return [parse_network(net) for net in networks]


def normalize_networks(values: Iterable[str]) -> list[str]:
    """Canonical text of each network (``"10.1.2.3/8"`` → ``"10.0.0.0/8"``), duplicates dropped."""
    result: list[str] = []
    for value in values:
        if not str(value).strip():
            continue
        text = str(parse_network(str(value)))
        if text not in result:
            result.append(text)
    return result


def peer_ip(peer: Any) -> str:
    """The client IP of an asyncio peername (``(host, port[, ...])``) or ``"host:port"`` text.

    IPv4-mapped IPv6 addresses are given as IPv4; unparsable input gives ``""``.
    """
    if isinstance(peer, (tuple, list)) and peer:
        candidates = [str(peer[0])]
    else:
        text = str(peer or "").strip()
        candidates = [text.rpartition(":")[0].strip("[]"), text]  # "host:port" (spool text), or bare
    address: ipaddress.IPv4Address | ipaddress.IPv6Address | None = None
    for host in candidates:
        try:
            address = ipaddress.ip_address(host.split("%", 1)[0])
            break
        except ValueError:
            continue
    if address is None:
        return ""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address)


def ip_in(ip: str, networks: Iterable[str | Network]) -> bool:
    """Whether ``ip`` lies in one of ``networks`` (False for an empty or unparsable ``ip``)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    for net in networks:
        try:
            if address in parse_network(net):
                return True
        except BadNetwork:
            continue
    return False
