"""The one Settings object.

Read once at process start from ``KUSTOS_*`` environment variables and an optional
TOML file (``KUSTOS_CONFIG`` or ``$KUSTOS_HOME/kustos.toml``); environment wins over
the file. Library code never reads the environment: it receives this object (or
plain values taken from it) as arguments.

Embedded defaults need nothing: SQLite (WAL), a local vault directory and huey's
SQLite storage, all under ``$KUSTOS_HOME`` (default ``./var``). With
``KUSTOS_PRODUCTION=1`` default or missing secrets are refused.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import secrets
import shutil
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from kustos.vault.keys import master_key_weakness

log = logging.getLogger("kustos.config")


class ConfigError(Exception):
    """A setting is missing or invalid; the message names the setting."""


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def _networks(value: Any) -> tuple[str, ...]:
    """Comma-separated (or TOML list of) CIDRs; ConfigError names a bad entry."""
    items = [str(v).strip() for v in (value.split(",") if isinstance(value, str) else value)]
    for item in filter(None, items):
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ConfigError(f"KUSTOS_SOURCES_ALLOWED_NETWORKS: {item!r} is not an IP network "
                              f"(expected CIDR such as 10.0.0.0/8)") from None
    return tuple(filter(None, items))


def _proxy_networks(value: Any) -> tuple[str, ...]:
    """KUSTOS_TRUSTED_PROXIES: comma-separated (or TOML list of) addresses or CIDRs."""
    items = [str(v).strip() for v in (value.split(",") if isinstance(value, str) else value)]
    for item in filter(None, items):
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ConfigError(f"KUSTOS_TRUSTED_PROXIES: {item!r} is not an IP address or network "
                              f"(expected e.g. 10.0.0.5 or 10.0.0.0/8)") from None
    return tuple(filter(None, items))


@dataclass(frozen=True)
class Settings:
    home: Path
    production: bool = False
    debug: bool = False
    secret_key: str = ""
    master_key: str = ""  # base64/hex; empty = key file under home (created 0600)
    database_url: str = ""  # empty = SQLite under home
    redis_url: str = ""  # empty = huey SQLite storage under home
    vault_url: str = ""  # empty = local directory under home; s3://bucket/prefix
    s3_endpoint_url: str = ""
    s3_region: str = "eu-central-1"
    s3_access_key: str = ""
    s3_secret_key: str = ""
    allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "[::1]", "testserver")
    base_url: str = ""  # links in e-mails; empty = http://{host}:{port} (never the request's Host header)
    proxy_ssl_header: str = ""  # e.g. "HTTP_X_FORWARDED_PROTO" when a TLS proxy sets X-Forwarded-Proto: https
    trust_proxy: bool = False  # a TLS proxy in front sets X-Forwarded-Proto (trusted): Secure cookies, HSTS
    tls_cert: str = ""  # PEM certificate (chain): `kustos serve` speaks HTTPS (kustos.web.https_settings)
    tls_key: str = ""  # its private key file
    http_port: int = 0  # with TLS: a plain-HTTP port answering 308 redirects to https (e.g. 80); 0 = none
    # Proxies whose X-Forwarded-For names the client (kustos.web.client_address); empty = loopback
    # when trust_proxy is on, else none. CIDRs or addresses, e.g. "127.0.0.1,10.0.0.0/8".
    trusted_proxies: tuple[str, ...] = ()
    token_lifetime_days: int = 90  # default lifetime of new API tokens
    host: str = "127.0.0.1"
    port: int = 8000
    smtp_port: int = 2525
    smtp_domain: str = "journal.kustos.local"
    smtp_max_bytes: int = 50 * 1024 * 1024
    smtp_tls_cert: str = ""  # PEM certificate (chain) file: enables STARTTLS
    smtp_tls_key: str = ""  # its private key file
    smtp_auth_user: str = ""  # SMTP AUTH is offered only when user and password are set
    smtp_auth_password: str = ""
    smtp_auth_required: bool = False  # refuse mail without SMTP AUTH
    smtp_max_connections: int = 200
    smtp_max_connections_per_client: int = 20
    smtp_idle_timeout: int = 60  # seconds, 1-60
    imap_port: int = 1143  # read-only IMAP access to the archive (kustos imapd, kustos serve --imap-port)
    imap_tls_port: int = 0  # implicit TLS port (e.g. 993); 0 = none. Needs the certificate below
    imap_tls_cert: str = ""  # PEM certificate (chain): STARTTLS and the TLS port; without it loopback only
    imap_tls_key: str = ""  # its private key file
    imap_max_connections: int = 200
    imap_max_connections_per_client: int = 20
    imap_idle_timeout: int = 1800  # seconds without a command once logged in (at least 30 minutes, RFC 3501)
    tsa_url: str = ""  # empty = built-in local TSA (self-signed, labelled as such)
    tsa_ca_file: str = ""  # PEM of the configured TSA's CA (trust anchor put into court bundles and proofs)
    evidence_renew_days: int = 365  # `vault renew`: re-timestamp batches whose TSA certificate expires within
    evidence_warn_days: int = 90  # daily check: warn operators when a TSA certificate expires within
    evidence_auto_renew: bool = False  # the daily check also renews what is due
    evidence_renew_algorithm: str = "sha256"  # hash of renewal time-stamps (sha256, sha384, sha512)
    evidence_hash_sunset: str = ""  # weakening hashes, "sha256:2031,...": renew their tokens from that year on
    search_backend: str = ""  # "tantivy" | "postgres"; empty = by database
    search_open_indexes: int = 64  # tantivy: customer indexes kept open per process (least recently used closed)
    email_backend: str = "kustos.accounts.outbox.OutboxBackend"  # files under home/outbox (0600), never logs
    email_from: str = "kustos@localhost"
    require_2fa_for_admins: bool = True
    workers: int = 2
    language: str = "en"
    # Egress of archive sources (IMAP/POP3/Graph/Gmail): loopback, link-local, private, CGNAT, multicast
    # and reserved addresses are refused unless allowed here (kustos.sources.egress).
    sources_allow_private_networks: bool = False  # RFC 1918, fc00::/7 and CGNAT (on-premises mail servers)
    sources_allowed_networks: tuple[str, ...] = ()  # CIDRs always allowed, e.g. 127.0.0.1/32 for a local server
    export_lifetime: int = 3600  # seconds an export file may stay under exports/ before it is purged
    job_heartbeat_interval: int = 30  # seconds between the heartbeats of a running job
    job_heartbeat_timeout: int = 300  # a running job without a heartbeat for this long is reaped as failed
    alert_ingest_lag_minutes: int = 1440  # live sources: a batch whose median mail lags more (archive time - Date) alerts
    alert_silent_working_days: int = 2  # a source or journaling address silent this many working days (Mon-Fri) alerts
    # OCR of scanned PDFs and images attached to mail (a job after ingest; kustos.ocr)
    ocr: str = "auto"  # on | off | auto (on when the tesseract binary is installed)
    ocr_timeout: int = 120  # seconds of wall time per page/image for one tesseract process
    ocr_memory_mb: int = 1024  # address-space limit of the tesseract and pdftoppm processes
    ocr_max_pages: int = 20  # pages recognised per PDF
    ocr_max_pixels: int = 40_000_000  # larger images are refused before they are decoded
    ocr_languages: str = "deu+eng"  # tesseract language data (Debian: tesseract-ocr-deu, -eng)
    extra: dict[str, Any] = field(default_factory=dict)

    # --- derived paths -------------------------------------------------------
    @property
    def db_path(self) -> Path:
        return self.home / "kustos.sqlite3"

    @property
    def vault_path(self) -> Path:
        return self.home / "vault"

    @property
    def index_path(self) -> Path:
        return self.home / "index"

    @property
    def spool_path(self) -> Path:
        return self.home / "spool"

    @property
    def upload_path(self) -> Path:
        return self.home / "uploads"

    @property
    def export_path(self) -> Path:
        return self.home / "exports"

    @property
    def huey_path(self) -> Path:
        return self.home / "huey.sqlite3"

    @property
    def master_key_file(self) -> Path:
        return self.home / "master.key"

    @property
    def public_url(self) -> str:
        """The installation's address for links in e-mails (configured, never taken from a request)."""
        scheme = "https" if self.tls_cert else "http"
        return (self.base_url or f"{scheme}://{self.host}:{self.port}").rstrip("/")

    @property
    def uses_postgres(self) -> bool:
        return self.database_url.startswith(("postgres://", "postgresql://"))

    @property
    def ocr_enabled(self) -> bool:
        """KUSTOS_OCR: on, off, or auto = on when the tesseract binary exists."""
        return self.ocr == "on" or (self.ocr == "auto" and shutil.which("tesseract") is not None)

    @property
    def effective_search_backend(self) -> str:
        if self.search_backend:
            return self.search_backend
        return "postgres" if self.uses_postgres else "tantivy"


_CASTS: dict[str, Callable[[Any], Any]] = {"production": _bool, "debug": _bool, "require_2fa_for_admins": _bool,
          "smtp_auth_required": _bool, "smtp_max_connections": int, "smtp_max_connections_per_client": int,
          "smtp_idle_timeout": int,
          "port": int, "smtp_port": int, "smtp_max_bytes": int, "workers": int,
          "token_lifetime_days": int, "export_lifetime": int,
          "job_heartbeat_interval": int, "job_heartbeat_timeout": int}
_CASTS.update(alert_ingest_lag_minutes=int, alert_silent_working_days=int)
_CASTS.update(evidence_renew_days=int, evidence_warn_days=int, evidence_auto_renew=_bool)
_CASTS.update(sources_allow_private_networks=_bool, sources_allowed_networks=_networks)
_CASTS.update(ocr=lambda v: str(v).strip().lower(), ocr_timeout=int, ocr_memory_mb=int, ocr_max_pages=int,
              ocr_max_pixels=int)
_CASTS.update(search_open_indexes=int)
_CASTS.update(trust_proxy=_bool, http_port=int, trusted_proxies=_proxy_networks)
_CASTS.update(imap_port=int, imap_tls_port=int, imap_max_connections=int, imap_max_connections_per_client=int,
              imap_idle_timeout=int)


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Build Settings from ``env`` (default ``os.environ``) and the TOML file."""
    env = dict(os.environ if env is None else env)
    home = Path(env.get("KUSTOS_HOME", "./var")).resolve()
    values: dict[str, Any] = {}
    config_file = Path(env.get("KUSTOS_CONFIG", home / "kustos.toml"))
    if config_file.is_file():
        with config_file.open("rb") as fh:
            values.update(tomllib.load(fh))
    known = {f.name for f in fields(Settings)} - {"home", "extra"}
    for name in known:
        key = "KUSTOS_" + name.upper()
        if key in env:
            values[name] = env[key]
    extra = {k: values.pop(k) for k in list(values) if k not in known}
    for name, cast in _CASTS.items():
        if name in values:
            values[name] = cast(values[name])
    if "allowed_hosts" in values and isinstance(values["allowed_hosts"], str):
        values["allowed_hosts"] = tuple(h.strip() for h in values["allowed_hosts"].split(",") if h.strip())
    settings = Settings(home=home, extra=extra, **values)
    _check(settings)
    return settings


def _check(settings: Settings) -> None:
    if settings.job_heartbeat_interval < 1:
        raise ConfigError("KUSTOS_JOB_HEARTBEAT_INTERVAL must be at least 1 second")
    if settings.job_heartbeat_timeout < 2 * settings.job_heartbeat_interval:
        raise ConfigError("KUSTOS_JOB_HEARTBEAT_TIMEOUT must be at least twice KUSTOS_JOB_HEARTBEAT_INTERVAL "
                          f"({settings.job_heartbeat_interval} s), or live jobs would be reaped")
    if settings.search_open_indexes < 1:
        raise ConfigError("KUSTOS_SEARCH_OPEN_INDEXES must be at least 1")
    if bool(settings.tls_cert) != bool(settings.tls_key):
        raise ConfigError("KUSTOS_TLS_CERT and KUSTOS_TLS_KEY must be set together")
    if settings.ocr not in {"on", "off", "auto"}:
        raise ConfigError(f"KUSTOS_OCR must be on, off or auto (got {settings.ocr!r})")
    if not settings.production:
        weakness = master_key_weakness(settings.master_key) if settings.master_key else ""
        if weakness:
            log.warning("KUSTOS_MASTER_KEY is weak (%s); it would be refused with KUSTOS_PRODUCTION=1", weakness)
        return
    if not settings.secret_key or settings.secret_key.startswith("insecure-"):
        raise ConfigError("KUSTOS_SECRET_KEY must be set to a random value in production mode")
    if len(settings.secret_key) < 32:
        raise ConfigError("KUSTOS_SECRET_KEY is too short (at least 32 characters) in production mode")
    if not settings.master_key:
        raise ConfigError("KUSTOS_MASTER_KEY must be set in production mode (no key file is created)")
    weakness = master_key_weakness(settings.master_key)
    if weakness:
        raise ConfigError(f"KUSTOS_MASTER_KEY is refused in production mode: {weakness}")


def ensure_home(settings: Settings) -> None:
    """Create the home directory tree (idempotent), readable by the server's user only (0700)."""
    for path in (settings.home, settings.vault_path, settings.index_path, settings.spool_path,
                 settings.upload_path, settings.export_path, settings.home / "static"):
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.chmod(0o700)


def dev_secret_key(settings: Settings) -> str:
    """A per-installation development secret, kept in ``$KUSTOS_HOME/secret.key``."""
    if settings.secret_key:
        return settings.secret_key
    path = settings.home / "secret.key"
    settings.home.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write("insecure-dev-" + secrets.token_urlsafe(48))
    return path.read_text().strip()
