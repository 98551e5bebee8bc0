"""Django's HTTPS settings derived from the Settings object (kept free of Django imports).

Three ways to run: plain HTTP (development), `kustos serve` with its own certificate
(KUSTOS_TLS_CERT / KUSTOS_TLS_KEY), or behind a TLS-terminating reverse proxy that sets
``X-Forwarded-Proto: https`` (KUSTOS_TRUST_PROXY=1). In the last two (and in production mode)
cookies are Secure and HSTS is sent; with built-in TLS or a trusted proxy a plain-HTTP request
that still reaches Django is redirected to https (``/healthz`` stays reachable for local checks).
"""

from __future__ import annotations

from typing import Any

from kustos.config import Settings

HSTS_SECONDS = 365 * 24 * 3600
FORWARDED_PROTO_HEADER = "HTTP_X_FORWARDED_PROTO"


def proxy_ssl_header(kustos: Settings) -> str:
    """The request header naming the scheme a trusted proxy saw ("" = none trusted)."""
    return kustos.proxy_ssl_header or (FORWARDED_PROTO_HEADER if kustos.trust_proxy else "")


def uses_https(kustos: Settings) -> bool:
    """Browsers reach this installation over HTTPS only (built-in TLS or a trusted proxy)."""
    return bool(kustos.tls_cert) or kustos.trust_proxy


def django_settings(kustos: Settings) -> dict[str, Any]:
    """SECURE_* and cookie settings; production mode keeps its own (cookies Secure, HSTS)."""
    https = uses_https(kustos)
    secure = kustos.production or https
    values: dict[str, Any] = {"SESSION_COOKIE_SECURE": secure, "CSRF_COOKIE_SECURE": secure,
                              "LANGUAGE_COOKIE_SECURE": secure}
    if secure:
        values.update(SECURE_HSTS_SECONDS=HSTS_SECONDS, SECURE_HSTS_INCLUDE_SUBDOMAINS=True)
    header = proxy_ssl_header(kustos)
    if header:
        values["SECURE_PROXY_SSL_HEADER"] = (header, "https")
    if https:
        values.update(SECURE_SSL_REDIRECT=True, SECURE_REDIRECT_EXEMPT=[r"^healthz$"])
    return values
