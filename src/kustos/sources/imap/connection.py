"""Opening an authenticated IMAP session, with failures mapped to ConnectorError classes.

The messages name the host and the kind of failure only; they never include the
password, the token or server text that could echo them. With an egress policy the TCP
connection goes to an address the policy checked (see :mod:`kustos.sources.egress`); the
host name stays the TLS server name.
"""

from __future__ import annotations

import errno
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from imapclient import IMAPClient, imap4, tls
from imapclient.exceptions import IMAPClientError, LoginError

from kustos.sources.base import AuthenticationFailed, ConnectorError, HostUnreachable, TLSFailure
from kustos.sources.egress import EgressPolicy

SECURITY_MODES = ("none", "starttls", "tls")
_UNREACHABLE_ERRNOS = {errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ECONNRESET}


class ConfigurationInvalid(ConnectorError):
    """The connection settings themselves are wrong (e.g. an unknown security mode)."""


class ServerUnavailable(ConnectorError):
    """The server reported a temporary failure (e.g. its auth backend is down)."""


@dataclass(frozen=True)
class ImapSettings:
    host: str
    port: int
    security: str
    username: str
    password: str | None = None
    oauth2_token: str | None = None
    ssl_context: ssl.SSLContext | None = None
    timeout: float = 60.0
    egress: EgressPolicy | None = None

    def __post_init__(self) -> None:
        if self.security not in SECURITY_MODES:
            raise ConfigurationInvalid(
                f"security must be one of {', '.join(SECURITY_MODES)}, not {self.security!r}"
            )
        if self.password is None and self.oauth2_token is None:
            raise ConfigurationInvalid("either a password or an OAuth2 token is required")


def translate_network_error(exc: BaseException, where: str) -> ConnectorError:
    """Map a socket/TLS exception to the ConnectorError a partner should see."""
    if isinstance(exc, ConnectorError):
        return exc
    if isinstance(exc, ssl.SSLCertVerificationError):
        return TLSFailure(f"TLS certificate of {where} not accepted: {exc.verify_message or exc.reason}")
    if isinstance(exc, ssl.SSLError):
        hint = " - does this port speak TLS?" if exc.reason == "WRONG_VERSION_NUMBER" else ""
        return TLSFailure(f"TLS handshake with {where} failed ({exc.reason or exc.__class__.__name__}){hint}")
    if isinstance(exc, socket.gaierror):
        return HostUnreachable(f"unknown host: {where} could not be resolved")
    if isinstance(exc, ConnectionRefusedError):
        return HostUnreachable(f"connection to {where} refused")
    if isinstance(exc, TimeoutError | socket.timeout):
        return HostUnreachable(f"connection to {where} timed out")
    if isinstance(exc, OSError) and exc.errno in _UNREACHABLE_ERRNOS:
        return HostUnreachable(f"{where} unreachable ({errno.errorcode.get(exc.errno or 0, 'network error')})")
    if isinstance(exc, EOFError | ConnectionError):
        return HostUnreachable(f"{where} closed the connection unexpectedly")
    return ConnectorError(f"IMAP error talking to {where}: {exc.__class__.__name__}")


class _PlainIMAP4(imap4.IMAP4WithTimeout):
    def __init__(self, egress: EgressPolicy, host: str, port: int, timeout: float | None) -> None:
        self._egress = egress
        super().__init__(host, port, timeout)

    def _create_socket(self, timeout: float | None = None) -> socket.socket:
        return self._egress.connect(self.host, self.port, timeout if timeout is not None else self._timeout)


class _TlsIMAP4(tls.IMAP4_TLS):
    def __init__(self, egress: EgressPolicy, host: str, port: int, ssl_context: ssl.SSLContext | None,
                 timeout: float | None) -> None:
        self._egress = egress
        super().__init__(host, port, ssl_context, timeout)

    def _create_socket(self, timeout: float | None = None) -> socket.socket:
        sock = self._egress.connect(self.host, self.port, self._timeout if timeout is None else timeout)
        return tls.wrap_socket(sock, self.ssl_context, self.host)  # SNI and certificate check: the name


class EgressIMAPClient(IMAPClient):
    """IMAPClient whose connection goes to an address the egress policy resolved and checked."""

    def __init__(self, *args: object, egress: EgressPolicy, **kwargs: object) -> None:
        self._egress = egress
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def _create_IMAP4(self):  # noqa: N802 - IMAPClient's hook name
        timeout = getattr(self._timeout, "connect", None)
        if self.ssl:
            return _TlsIMAP4(self._egress, self.host, self.port, self.ssl_context, timeout)
        return _PlainIMAP4(self._egress, self.host, self.port, timeout)


def _login(client: IMAPClient, settings: ImapSettings) -> None:
    where = f"{settings.host}:{settings.port}"
    try:
        if settings.oauth2_token is not None:
            client.oauth2_login(settings.username, settings.oauth2_token)
        else:
            assert settings.password is not None
            client.login(settings.username, settings.password)
    except LoginError as exc:
        if b"UNAVAILABLE" in str(exc).encode() or "temporary" in str(exc).lower():
            raise ServerUnavailable(f"{where} could not check the login right now (temporary failure); try again")
        method = "OAuth2 token" if settings.oauth2_token is not None else "username or password"
        raise AuthenticationFailed(f"{where} rejected the login for {settings.username!r}: wrong {method}")


def open_client(settings: ImapSettings) -> IMAPClient:
    """Connect, secure and log in; raise a ConnectorError subclass on any failure.

    The client is created with ``folder_encode=False`` so mailbox names stay the
    server's raw modified UTF-7 (see :mod:`kustos.sources.imap.folders`).
    """
    where = f"{settings.host}:{settings.port}"
    context = settings.ssl_context or ssl.create_default_context()
    try:
        if settings.egress is not None:
            client = EgressIMAPClient(settings.host, port=settings.port, ssl=settings.security == "tls",
                                      ssl_context=context, timeout=settings.timeout, egress=settings.egress)
        else:
            client = IMAPClient(
                settings.host,
                port=settings.port,
                ssl=settings.security == "tls",
                ssl_context=context,
                timeout=settings.timeout,
            )
    except (OSError, EOFError, IMAPClientError) as exc:
        raise translate_network_error(exc, where)
    client.folder_encode = False
    try:
        if settings.security == "starttls":
            if not client.has_capability("STARTTLS"):
                raise TLSFailure(f"{where} does not offer STARTTLS")
            client.starttls(context)
        _login(client, settings)
    except ConnectorError:
        close_quietly(client)
        raise
    except (OSError, EOFError, IMAPClientError) as exc:
        close_quietly(client)
        raise translate_network_error(exc, where)
    return client


def close_quietly(client: IMAPClient) -> None:
    """Log out, or at least drop the socket; never raises (closing is best effort)."""
    try:
        client.logout()
    except Exception:  # noqa: BLE001 - the session is already broken; closing is best effort
        try:
            client.shutdown()
        except Exception:  # noqa: BLE001
            pass


@contextmanager
def session(settings: ImapSettings) -> Iterator[IMAPClient]:
    """An authenticated client that is logged out on exit."""
    client = open_client(settings)
    try:
        yield client
    finally:
        close_quietly(client)
