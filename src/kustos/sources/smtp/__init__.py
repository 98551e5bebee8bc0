"""SMTP journaling: receiver (aiosmtpd) and the durable spool it writes to."""

from kustos.sources.smtp.handler import JournalHandler, parse_networks
from kustos.sources.smtp.receiver import DEFAULT_MAX_BYTES, JournalReceiver, ReceiverStartFailed
from kustos.sources.smtp.spool import Envelope, Spool, SpoolCorrupt, SpoolItem, read_item
from kustos.sources.smtp.static import address_map_resolver, password_map_authenticator

__all__ = [
    "DEFAULT_MAX_BYTES",
    "Envelope",
    "JournalHandler",
    "JournalReceiver",
    "ReceiverStartFailed",
    "Spool",
    "SpoolCorrupt",
    "SpoolItem",
    "address_map_resolver",
    "parse_networks",
    "password_map_authenticator",
    "read_item",
]
