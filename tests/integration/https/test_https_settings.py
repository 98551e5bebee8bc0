"""Django's HTTPS settings derived from the configuration, and the plain-HTTP port's redirect answers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kustos.cli.https_server import redirect_app, with_flags
from kustos.config import ConfigError, load_settings
from kustos.web.https_settings import django_settings

YEAR = 365 * 24 * 3600


def _settings(tmp_path: Path, **env: str):
    return load_settings({"KUSTOS_HOME": str(tmp_path), **env})


def test_plain_http_development_changes_nothing(tmp_path: Path):
    values = django_settings(_settings(tmp_path))
    assert values == {"SESSION_COOKIE_SECURE": False, "CSRF_COOKIE_SECURE": False, "LANGUAGE_COOKIE_SECURE": False}


def test_builtin_tls_secures_cookies_hsts_and_redirect(tmp_path: Path):
    values = django_settings(_settings(tmp_path, KUSTOS_TLS_CERT="/c.pem", KUSTOS_TLS_KEY="/k.pem"))
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"] and values["LANGUAGE_COOKIE_SECURE"]
    assert values["SECURE_HSTS_SECONDS"] >= YEAR and values["SECURE_SSL_REDIRECT"] is True
    assert "SECURE_PROXY_SSL_HEADER" not in values  # no proxy header is believed without a proxy
    assert _settings(tmp_path, KUSTOS_TLS_CERT="/c.pem", KUSTOS_TLS_KEY="/k.pem",
                     KUSTOS_PORT="8443").public_url == "https://127.0.0.1:8443"


def test_trusted_proxy_believes_x_forwarded_proto(tmp_path: Path):
    values = django_settings(_settings(tmp_path, KUSTOS_TRUST_PROXY="1"))
    assert values["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert values["SESSION_COOKIE_SECURE"] and values["SECURE_HSTS_SECONDS"] >= YEAR
    assert values["SECURE_SSL_REDIRECT"] is True and values["SECURE_REDIRECT_EXEMPT"] == [r"^healthz$"]
    # an explicitly named header wins
    values = django_settings(_settings(tmp_path, KUSTOS_TRUST_PROXY="1", KUSTOS_PROXY_SSL_HEADER="HTTP_X_SCHEME"))
    assert values["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_SCHEME", "https")


def test_tls_settings_are_checked(tmp_path: Path):
    with pytest.raises(ConfigError, match="KUSTOS_TLS_CERT and KUSTOS_TLS_KEY must be set together"):
        _settings(tmp_path, KUSTOS_TLS_CERT="/c.pem")
    base = _settings(tmp_path)
    with pytest.raises(ConfigError, match="must be set together"):
        with_flags(base, None, "/k.pem", None)
    assert with_flags(base, None, None, None) is base
    flagged = with_flags(base, "/c.pem", "/k.pem", 8080)
    assert (flagged.tls_cert, flagged.tls_key, flagged.http_port) == ("/c.pem", "/k.pem", 8080)


def test_settings_module_in_a_fresh_interpreter(tmp_path: Path):
    env = {**os.environ, "KUSTOS_HOME": str(tmp_path), "KUSTOS_TLS_CERT": "/c.pem", "KUSTOS_TLS_KEY": "/k.pem"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    code = ("import kustos.django_settings as s; print(s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, "
            "s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT)")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == [str(YEAR), "True", "True", "True"]


def _call(app, path: str = "/", query: str = "", host: str = "archive.example.com", method: str = "GET"):
    answer: dict = {}

    def start_response(status, headers):
        answer["status"], answer["headers"] = status, dict(headers)

    body = b"".join(app({"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query, "HTTP_HOST": host,
                         "SCRIPT_NAME": "", "SERVER_NAME": "ignored"}, start_response))
    return answer["status"], answer["headers"], body


def test_redirect_keeps_host_path_and_query():
    app = redirect_app(443, "", ["archive.example.com", "[::1]"])
    status, headers, body = _call(app, "/search/", "q=%C3%A4&page=2", host="archive.example.com:80", method="POST")
    assert status.startswith("308") and body == b""
    assert headers["Location"] == "https://archive.example.com/search/?q=%C3%A4&page=2"
    assert _call(app, "/a b/ä".encode().decode("latin-1"))[1]["Location"] == "https://archive.example.com/a%20b/%C3%A4"
    assert _call(app, host="[::1]:80")[1]["Location"] == "https://[::1]/"
    # the Host header is checked like Django checks it: an unknown host gets no redirect
    status, headers, body = _call(app, host="evil.example")
    assert status.startswith("400") and "Location" not in headers and b"unknown host" in body


def test_redirect_to_a_non_default_port_or_the_configured_address():
    assert _call(redirect_app(8443, "", ["*"]), "/x")[1]["Location"] == "https://archive.example.com:8443/x"
    app = redirect_app(8443, "https://archive.example.com", ["*"])
    assert _call(app, "/x", host="other.example")[1]["Location"] == "https://archive.example.com/x"
