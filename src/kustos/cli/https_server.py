"""HTTPS for `kustos serve`: the TLS web server (cheroot) and the plain-HTTP redirect listener.

waitress has no TLS, so with a certificate the WSGI application is served by cheroot (a pure
Python threaded WSGI server with TLS built on the standard ``ssl`` module); without one
waitress serves plain HTTP as before. ARCHITECTURE.md explains the choice.
"""

from __future__ import annotations

import dataclasses
import ssl
from pathlib import Path
from urllib.parse import quote, urlsplit

from cheroot import wsgi
from django.conf import settings as django_settings
from django.core.handlers.wsgi import WSGIHandler
from django.http.request import split_domain_port, validate_host
from waitress.server import create_server

from kustos.cli.base import CLIError
from kustos.config import ConfigError, Settings
from kustos.core.tls_adapter import LazyHandshakeAdapter
from kustos.web import https_settings

THREADS = 8


def with_flags(settings: Settings, tls_cert: str | None, tls_key: str | None, http_port: int | None) -> Settings:
    """Settings with `serve --tls-cert/--tls-key/--http-port` applied (flags win over KUSTOS_*)."""
    changes: dict = {}
    if tls_cert is not None:
        changes["tls_cert"] = tls_cert
    if tls_key is not None:
        changes["tls_key"] = tls_key
    if http_port is not None:
        changes["http_port"] = http_port
    if not changes:
        return settings
    new = dataclasses.replace(settings, **changes)
    if bool(new.tls_cert) != bool(new.tls_key):
        raise ConfigError("--tls-cert and --tls-key (KUSTOS_TLS_CERT, KUSTOS_TLS_KEY) must be set together")
    return new


def tls_context(settings: Settings) -> ssl.SSLContext | None:
    """Server context from KUSTOS_TLS_CERT / KUSTOS_TLS_KEY (TLS 1.2 or newer), None without them."""
    if not settings.tls_cert:
        if settings.http_port:
            raise ConfigError("KUSTOS_HTTP_PORT (--http-port) redirects to HTTPS and needs KUSTOS_TLS_CERT "
                              "and KUSTOS_TLS_KEY (--tls-cert, --tls-key)")
        return None
    for name, path in (("KUSTOS_TLS_CERT", settings.tls_cert), ("KUSTOS_TLS_KEY", settings.tls_key)):
        if not Path(path).is_file():
            raise ConfigError(f"{name}: file not found: {path}")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(settings.tls_cert, settings.tls_key)
    except (ssl.SSLError, OSError) as exc:
        raise ConfigError(f"KUSTOS_TLS_CERT/KUSTOS_TLS_KEY: cannot load the certificate and key "
                          f"({exc.__class__.__name__})") from None
    return context


def apply(settings: Settings, initial: Settings) -> WSGIHandler | None:
    """Make this process's Django settings follow ``settings`` when flags changed them; a new WSGI
    handler is returned then (Django's SecurityMiddleware reads its settings when it is built)."""
    if settings == initial:
        return None
    django_settings.KUSTOS = settings
    for name, value in https_settings.django_settings(settings).items():
        setattr(django_settings, name, value)
    return WSGIHandler()


class HttpsServer:
    """The WSGI application over TLS, with waitress' interface used by `serve` (run, close, effective_port)."""

    def __init__(self, application, host: str, port: int, context: ssl.SSLContext):
        self._server = wsgi.Server((host, port), application, numthreads=THREADS, server_name="kustos")
        self._server.ssl_adapter = LazyHandshakeAdapter(context)
        try:
            self._server.prepare()  # binds now: a busy port fails `serve` at once, in the main thread
        except OSError as exc:
            raise CLIError(f"cannot listen for HTTPS on {host}:{port}: {exc.strerror or exc}") from None

    @property
    def effective_port(self) -> int:
        return int(self._server.bind_addr[1])

    def reload_certificate(self, settings: Settings) -> None:
        """Load KUSTOS_TLS_CERT/KUSTOS_TLS_KEY again (renewed files) for new connections
        (`kustos serve` on SIGHUP); a ConfigError leaves the certificate in use unchanged."""
        context = tls_context(settings)
        if context is not None:
            self._server.ssl_adapter.use(context)

    def run(self) -> None:
        self._server.serve()

    def close(self) -> None:
        self._server.stop()


def redirect_app(tls_port: int, base_url: str, allowed_hosts: list[str]):
    """WSGI app of the plain-HTTP port: 308 (method kept) to the same path over https.

    The target host is KUSTOS_BASE_URL's when it is an https address, else the request's Host
    (checked against ALLOWED_HOSTS, as Django does) with the HTTPS port."""
    configured = urlsplit(base_url) if base_url.startswith("https://") else None

    def app(environ, start_response):
        if configured is not None:
            origin = f"https://{configured.netloc}"
        else:
            domain, _port = split_domain_port(environ.get("HTTP_HOST") or environ.get("SERVER_NAME", ""))
            if not domain or not validate_host(domain, allowed_hosts):
                body = b"Bad Request: unknown host\n"
                start_response("400 Bad Request", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
                return [body]
            origin = f"https://{domain}" + ("" if tls_port == 443 else f":{tls_port}")
        path = quote(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""), safe="/;=,~!$&'()*+:@",
                     encoding="latin-1")
        query = environ.get("QUERY_STRING", "")
        location = origin + (path or "/") + (f"?{query}" if query else "")
        start_response("308 Permanent Redirect", [("Location", location), ("Content-Length", "0"),
                                                  ("Content-Type", "text/plain")])
        return [b""]

    return app


def start_redirect(host: str, http_port: int, tls_port: int, base_url: str):
    """The plain-HTTP listener (waitress, a few threads): returns the server; run it in a thread."""
    app = redirect_app(tls_port, base_url, list(django_settings.ALLOWED_HOSTS))
    return create_server(app, host=host, port=http_port, threads=2, ident="kustos")
