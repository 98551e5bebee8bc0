"""SMTP journaling: receiver (aiosmtpd) and the durable spool it writes to."""

from kustos.sources.smtp.handler import JournalHandler, JournalTarget
from kustos.sources.smtp.limits import DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_PER_CLIENT, ConnectionLimiter
from kustos.sources.smtp.net import BadNetwork, ip_in, normalize_networks, parse_networks, peer_ip
from kustos.sources.smtp.receiver import (
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_BYTES,
    JournalReceiver,
    ReceiverStartFailed,
)
from kustos.sources.smtp.spool import Envelope, Spool, SpoolCorrupt, SpoolItem, read_item
from kustos.sources.smtp.static import address_map_resolver, password_map_authenticator

__all__ = [
    "DEFAULT_IDLE_TIMEOUT",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_MAX_PER_CLIENT",
    "BadNetwork",
    "ConnectionLimiter",
    "Envelope",
    "JournalHandler",
    "JournalReceiver",
    "JournalTarget",
    "ReceiverStartFailed",
    "Spool",
    "SpoolCorrupt",
    "SpoolItem",
    "address_map_resolver",
    "ip_in",
    "normalize_networks",
    "parse_networks",
    "password_map_authenticator",
    "peer_ip",
    "read_item",
]
