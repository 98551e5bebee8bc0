"""The SMTP journaling receiver plus its spool consumer, in `kustos serve` or `kustos smtpd`."""

from __future__ import annotations

import dataclasses
import logging
import ssl
import threading
from pathlib import Path

from django.conf import settings as django_settings
from django.db import close_old_connections

from kustos.archive.services import journal, journal_drain
from kustos.config import ConfigError, Settings
from kustos.sources.smtp import JournalReceiver, Spool, password_map_authenticator

log = logging.getLogger("kustos.smtp")

MAX_IDLE_TIMEOUT = 60


def tls_context(settings: Settings) -> ssl.SSLContext | None:
    """STARTTLS context from KUSTOS_SMTP_TLS_CERT / KUSTOS_SMTP_TLS_KEY, or None when unset."""
    cert, key = settings.smtp_tls_cert, settings.smtp_tls_key
    if not cert and not key:
        return None
    if not cert or not key:
        raise ConfigError("KUSTOS_SMTP_TLS_CERT and KUSTOS_SMTP_TLS_KEY must be set together")
    for name, path in (("KUSTOS_SMTP_TLS_CERT", cert), ("KUSTOS_SMTP_TLS_KEY", key)):
        if not Path(path).is_file():
            raise ConfigError(f"{name}: file not found: {path}")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert, key)
    except (ssl.SSLError, OSError) as exc:
        raise ConfigError(f"KUSTOS_SMTP_TLS_CERT/KUSTOS_SMTP_TLS_KEY: cannot load the certificate and key "
                          f"({exc.__class__.__name__})") from None
    return context


def receiver_options(settings: Settings) -> dict:
    """JournalReceiver keyword arguments from the settings (checked; secrets never logged)."""
    if not 1 <= settings.smtp_idle_timeout <= MAX_IDLE_TIMEOUT:
        raise ConfigError(f"KUSTOS_SMTP_IDLE_TIMEOUT must be 1-{MAX_IDLE_TIMEOUT} seconds, "
                          f"got {settings.smtp_idle_timeout}")
    if settings.smtp_max_connections < 1 or settings.smtp_max_connections_per_client < 1:
        raise ConfigError("KUSTOS_SMTP_MAX_CONNECTIONS and KUSTOS_SMTP_MAX_CONNECTIONS_PER_CLIENT must be at least 1")
    if bool(settings.smtp_auth_user) != bool(settings.smtp_auth_password):
        raise ConfigError("KUSTOS_SMTP_AUTH_USER and KUSTOS_SMTP_AUTH_PASSWORD must be set together")
    if settings.smtp_auth_required and not settings.smtp_auth_user:
        raise ConfigError("KUSTOS_SMTP_AUTH_REQUIRED needs KUSTOS_SMTP_AUTH_USER and KUSTOS_SMTP_AUTH_PASSWORD")
    context = tls_context(settings)
    auth = None
    if settings.smtp_auth_user:
        auth = password_map_authenticator({settings.smtp_auth_user: settings.smtp_auth_password})
        if context is None:
            log.warning("SMTP AUTH is offered without STARTTLS: passwords cross the network in clear text "
                        "(set KUSTOS_SMTP_TLS_CERT and KUSTOS_SMTP_TLS_KEY)")
    return {"max_bytes": settings.smtp_max_bytes, "hostname": settings.smtp_domain, "tls_context": context,
            "auth": auth, "auth_required": settings.smtp_auth_required,
            "timeout": float(settings.smtp_idle_timeout), "max_connections": settings.smtp_max_connections,
            "max_connections_per_client": settings.smtp_max_connections_per_client}


class SmtpService:
    """Receiver thread (aiosmtpd) and a drain thread that ingests the spool every second."""

    def __init__(self, settings: Settings, host: str, port: int):
        self.receiver = JournalReceiver(settings.spool_path, journal.resolve_recipient, host=host, port=port,
                                        **receiver_options(settings))
        self.spool = Spool(settings.spool_path)
        self._stop = threading.Event()
        self._drainer = threading.Thread(target=self._drain_loop, name="spool-drain", daemon=True)

    @property
    def port(self) -> int:
        return self.receiver.port

    def start(self) -> SmtpService:
        self.spool.recover()
        self.receiver.start()
        self._drainer.start()
        return self

    def _drain_loop(self) -> None:
        while not self._stop.is_set():
            try:
                while journal_drain.drain(self.spool) and not self._stop.is_set():
                    pass
            except Exception:  # keep draining; the item stays in the spool and is retried
                log.exception("spool ingest failed; will retry")
            finally:
                close_old_connections()
            self._stop.wait(1.0)

    def stop(self) -> None:
        self.receiver.stop()
        self._stop.set()
        self._drainer.join(timeout=30)


def start(settings: Settings, host: str, port: int) -> SmtpService:
    return SmtpService(settings, host, port).start()


def publish_port(port: int) -> None:
    """Let this process's settings name the port the receiver really listens on (``kustos serve
    --smtp-port``), so the journaling page, the API and the setup instructions show it."""
    django_settings.KUSTOS = dataclasses.replace(django_settings.KUSTOS, smtp_port=port)
