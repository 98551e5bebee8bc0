"""The IMAP server built from the settings, for `kustos imapd` and `kustos serve --imap-port`."""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass
from pathlib import Path

from kustos.config import ConfigError, Settings
from kustos.imapd.adapter import ArchiveAuthenticator
from kustos.imapd.limits import Limits
from kustos.imapd.lockout import SharedThrottle
from kustos.imapd.server import IMAPServer, is_loopback_host

log = logging.getLogger("kustos.imapd")

MIN_IDLE_TIMEOUT = 60


@dataclass(frozen=True)
class Options:
    host: str
    port: int
    tls_port: int | None = None
    tls_cert: str = ""
    tls_key: str = ""


def tls_context(cert: str, key: str) -> ssl.SSLContext | None:
    """Server context from the certificate and key files, or None when neither is given."""
    if not cert and not key:
        return None
    if not cert or not key:
        raise ConfigError("the IMAP TLS certificate and key must be given together "
                          "(KUSTOS_IMAP_TLS_CERT and KUSTOS_IMAP_TLS_KEY, or --tls-cert and --tls-key)")
    for name, path in (("certificate", cert), ("key", key)):
        if not Path(path).is_file():
            raise ConfigError(f"IMAP TLS {name}: file not found: {path}")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert, key)
    except (ssl.SSLError, OSError) as exc:
        raise ConfigError(f"IMAP TLS: cannot load the certificate and key ({exc.__class__.__name__})") from None
    return context


def limits_from(settings: Settings) -> Limits:
    if settings.imap_idle_timeout < MIN_IDLE_TIMEOUT:
        raise ConfigError(f"KUSTOS_IMAP_IDLE_TIMEOUT must be at least {MIN_IDLE_TIMEOUT} seconds, "
                          f"got {settings.imap_idle_timeout}")
    if settings.imap_max_connections < 1 or settings.imap_max_connections_per_client < 1:
        raise ConfigError("KUSTOS_IMAP_MAX_CONNECTIONS and KUSTOS_IMAP_MAX_CONNECTIONS_PER_CLIENT must be at least 1")
    return Limits(idle_timeout=float(settings.imap_idle_timeout), max_connections=settings.imap_max_connections,
                  max_connections_per_client=settings.imap_max_connections_per_client)


def options_from(settings: Settings, *, host: str | None = None, port: int | None = None,
                 tls_port: int | None = None, tls_cert: str | None = None, tls_key: str | None = None) -> Options:
    """Command-line values win over the settings."""
    return Options(host=host or settings.host, port=settings.imap_port if port is None else port,
                   tls_port=(tls_port if tls_port is not None else settings.imap_tls_port) or None,
                   tls_cert=settings.imap_tls_cert if tls_cert is None else tls_cert,
                   tls_key=settings.imap_tls_key if tls_key is None else tls_key)


def build(settings: Settings, options: Options) -> IMAPServer:
    if not 0 <= options.port <= 65535:
        raise ConfigError(f"IMAP port must be 0-65535, got {options.port}")
    context = tls_context(options.tls_cert, options.tls_key)
    if options.tls_port and context is None:
        raise ConfigError("an implicit TLS port needs a certificate (--tls-cert/--tls-key or KUSTOS_IMAP_TLS_CERT/_KEY)")
    limits = limits_from(settings)
    return IMAPServer(ArchiveAuthenticator(), host=options.host, port=options.port, tls_port=options.tls_port,
                      tls_context=context, limits=limits, throttle=SharedThrottle(limits))


def describe(server: IMAPServer, requested_host: str) -> list[str]:
    """What the operator is told at start (also logged)."""
    lines = [f"IMAP (read-only archive access) on {server.host}:{server.port}"
             + (" with STARTTLS" if server.tls_context is not None else "")]
    if server.tls_port:
        lines.append(f"IMAP over TLS on {server.host}:{server.tls_port}")
    if server.loopback_only:
        note = "no TLS certificate (KUSTOS_IMAP_TLS_CERT/KUSTOS_IMAP_TLS_KEY): listening on loopback only"
        if not is_loopback_host(requested_host):
            note += f", not on {requested_host}"
        lines.append(note)
    for line in lines:
        log.info("%s", line)
    return lines


def start_in_serve(settings: Settings, host: str, port: int) -> IMAPServer:
    """`kustos serve --imap-port P`: the server in a background thread of the serve process."""
    return build(settings, options_from(settings, host=host, port=port)).start_in_thread()
