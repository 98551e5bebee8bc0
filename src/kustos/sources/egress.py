"""Egress policy: where a source may connect (no reach into the server's own network).

Every outbound connection of a source (IMAP, POP3, the Graph/Google token and API
URLs, every HTTP redirect and next-page link) goes through :meth:`EgressPolicy.connect`:
the host is resolved once, every address is checked against the policy, and the socket
is connected to a checked address - never to a name that could resolve differently a
moment later (DNS rebinding). TLS callers keep the host *name* for SNI and the
certificate check; only the TCP connection uses the checked IP.

Refused by default (the rule is named in the error):

* ``unspecified`` 0.0.0.0/8, ``::``      * ``loopback`` 127.0.0.0/8, ``::1``
* ``link-local`` 169.254.0.0/16 (cloud metadata 169.254.169.254), fe80::/10
* ``private`` RFC 1918, fc00::/7, fec0::/10  * ``shared (CGNAT)`` 100.64.0.0/10
* ``multicast`` 224.0.0.0/4, ff00::/8    * ``reserved`` every other non-global range
  (240.0.0.0/4, benchmarking, documentation, IETF protocol assignments, ...)

IPv6 forms that carry an IPv4 address (IPv4-mapped ``::ffff:a.b.c.d``, IPv4-compatible,
SIIT, NAT64 ``64:ff9b::/96``, 6to4 ``2002::/16``, Teredo) are judged by that IPv4 address.

The operator may allow ``private`` and ``shared (CGNAT)`` networks as a whole
(``allow_private_networks``, for on-premises mail servers) and any network by CIDR
(``allowed_networks``, e.g. ``127.0.0.1/32`` for a mail server on the same host). The
values come from Settings; this module never reads the environment.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from kustos.sources.base import HostUnreachable

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
AddrInfo = tuple[Any, ...]  # (family, type, proto, canonname, sockaddr) as socket.getaddrinfo returns
Resolver = Callable[[str, int], list[AddrInfo]]

ALLOW_PRIVATE_SETTING = "KUSTOS_SOURCES_ALLOW_PRIVATE_NETWORKS"
ALLOWED_NETWORKS_SETTING = "KUSTOS_SOURCES_ALLOWED_NETWORKS"

_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("unspecified", ("0.0.0.0/8", "::/128")),
    ("loopback", ("127.0.0.0/8", "::1/128")),
    ("link-local", ("169.254.0.0/16", "fe80::/10")),
    ("private", ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7", "fec0::/10")),
    ("shared (CGNAT)", ("100.64.0.0/10",)),
    ("multicast", ("224.0.0.0/4", "ff00::/8")),
    ("reserved", ("240.0.0.0/4",)),
)
RULES: tuple[tuple[str, tuple[IPNetwork, ...]], ...] = tuple(
    (name, tuple(ipaddress.ip_network(n) for n in nets)) for name, nets in _RULES)
PRIVATE_RULES = frozenset({"private", "shared (CGNAT)"})  # what allow_private_networks opens

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_SIIT = ipaddress.ip_network("::ffff:0:0:0/96")
_V4_COMPATIBLE = ipaddress.ip_network("::/96")


class EgressRefused(HostUnreachable):
    """The policy forbids connecting to this address; the message names the rule."""


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, compatible, SIIT, NAT64, 6to4, Teredo)."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64 or address in _SIIT or (address in _V4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def classify(address: IPAddress) -> str | None:
    """The rule that blocks ``address`` by default, or None for a global (public) address."""
    inner = embedded_ipv4(address)
    if inner is not None:
        return classify(inner)
    for name, networks in RULES:
        if any(address in network for network in networks):
            return name
    return None if address.is_global else "reserved"


def parse_networks(values: Iterable[str]) -> tuple[IPNetwork, ...]:
    """CIDRs (``10.1.0.0/16``, ``::1/128``) or single addresses; ValueError names a bad entry."""
    result = []
    for value in values:
        text = value.strip()
        if not text:
            continue
        try:
            result.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise ValueError(f"{text!r} is not an IP network (expected CIDR such as 10.0.0.0/8)") from None
    return tuple(result)


def _getaddrinfo(host: str, port: int) -> list[AddrInfo]:
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)


@dataclass(frozen=True)
class EgressPolicy:
    allow_private_networks: bool = False
    allowed_networks: tuple[IPNetwork, ...] = ()
    resolver: Resolver = field(default=_getaddrinfo, compare=False, repr=False)

    @classmethod
    def from_values(cls, allow_private_networks: bool = False, allowed_networks: Iterable[str] = (),
                    resolver: Resolver | None = None) -> EgressPolicy:
        return cls(bool(allow_private_networks), parse_networks(allowed_networks), resolver or _getaddrinfo)

    # --- decisions --------------------------------------------------------------------
    def refusal(self, address: IPAddress) -> str | None:
        """The rule that refuses ``address`` under this policy, or None when it is allowed."""
        inner = embedded_ipv4(address)
        candidates = [address] if inner is None else [address, inner]
        if any(a in network for a in candidates for network in self.allowed_networks
               if a.version == network.version):
            return None
        rule = classify(address)
        if rule is None or (rule in PRIVATE_RULES and self.allow_private_networks):
            return None
        return rule

    def refused_message(self, address: IPAddress, rule: str, where: str) -> str:
        how = (f"allow it with {ALLOWED_NETWORKS_SETTING}"
               + (f" or {ALLOW_PRIVATE_SETTING}=1" if rule in PRIVATE_RULES else ""))
        target = f"{where} ({address})" if str(address) not in where else where
        return (f"connection to {target} refused: {rule} addresses are blocked for sources "
                f"(the server operator can {how})")

    def check_address(self, address: str | IPAddress, where: str = "") -> None:
        """Raise :class:`EgressRefused` when the policy forbids ``address``."""
        ip = ipaddress.ip_address(address.split("%", 1)[0] if isinstance(address, str) else address)
        rule = self.refusal(ip)
        if rule is not None:
            raise EgressRefused(self.refused_message(ip, rule, where or str(ip)))

    def resolve(self, host: str, port: int) -> list[AddrInfo]:
        """Resolve once; the address records the policy allows (EgressRefused when none is)."""
        name = host.strip("[]")
        infos = self.resolver(name, port)
        allowed: list[AddrInfo] = []
        first_refusal: tuple[IPAddress, str] | None = None
        for info in infos:
            ip = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
            rule = self.refusal(ip)
            if rule is None:
                allowed.append(info)
            elif first_refusal is None:
                first_refusal = (ip, rule)
        if not allowed:
            if first_refusal is None:
                raise socket.gaierror(socket.EAI_NONAME, f"{host} has no address")
            ip, rule = first_refusal
            where = f"[{name}]:{port}" if ":" in name else f"{name}:{port}"
            raise EgressRefused(self.refused_message(ip, rule, where))
        return allowed

    def connect(self, host: str, port: int, timeout: Any = socket._GLOBAL_DEFAULT_TIMEOUT,  # type: ignore[attr-defined]
                source_address: tuple[str, int] | None = None) -> socket.socket:
        """A TCP connection to a checked address of ``host`` (tries each allowed address in turn)."""
        last: OSError | None = None
        for family, socktype, proto, _canon, sockaddr in self.resolve(host, port):
            sock = socket.socket(family, socktype, proto)
            try:
                if timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:  # type: ignore[attr-defined]
                    sock.settimeout(timeout)
                if source_address is not None:
                    sock.bind(source_address)
                sock.connect(sockaddr)
                return sock
            except OSError as exc:
                sock.close()
                last = exc
        assert last is not None
        raise last

    def check_destination(self, host: str, port: int) -> None:
        """Save-time check: refuse when ``host`` resolves only to refused addresses.

        A name that does not resolve (yet) passes; the connect-time check still applies.
        """
        try:
            self.resolve(host, port)
        except (socket.gaierror, UnicodeError):
            return
