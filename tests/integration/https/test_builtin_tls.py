"""`kustos serve` with its own certificate: HTTPS verified against that certificate, the plain-HTTP
port redirects (308), cookies are Secure, HSTS is sent, and bad settings fail with one line."""

from __future__ import annotations

import re
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
from pathlib import Path

import pytest

from tests.integration.https.helpers import (
    Browser,
    hsts_max_age,
    kustos_serve,
    outbox_text,
    request_password_reset,
)
from tests.servers.tls import free_port, make_self_signed


def test_serve_with_a_certificate(cli_env: dict, tmp_path: Path):
    pair = make_self_signed(tmp_path / "tls")
    port, http_port = free_port(), free_port()
    args = ("--port", str(port), "--http-port", str(http_port), "--tls-cert", str(pair.cert),
            "--tls-key", str(pair.key))
    with kustos_serve(cli_env, *args, ready="redirects to HTTPS") as served:
        assert f"Kustos is running at https://127.0.0.1:{port}/" in served.output
        assert f"HTTP on 127.0.0.1:{http_port} redirects to HTTPS" in served.output
        base = f"https://localhost:{port}"

        # the certificate served is the configured one, and a client that does not trust it refuses
        served_pem = ssl.get_server_certificate(("127.0.0.1", port))
        assert ssl.PEM_cert_to_DER_cert(served_pem) == ssl.PEM_cert_to_DER_cert(pair.cert.read_text())
        refused = Browser()  # system trust store only
        with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
            refused.open(f"{base}/healthz")

        browser = Browser(cafile=pair.cert)
        health = browser.open(f"{base}/healthz")
        assert health.status == 200 and '"ok": true' in health.body
        page = browser.open(f"{base}/login/")
        assert page.status == 200 and 'name="password"' in page.body
        assert hsts_max_age(page) >= 365 * 24 * 3600
        assert "; Secure" in page.cookies()["csrftoken"]

        # sign-in over HTTPS (Django's HTTPS CSRF check wants a matching Origin): the session cookie is Secure
        email, password = served.operator()
        signed_in = browser.sign_in(base, email, password)
        assert signed_in.status == 302, signed_in.body[:500]
        session = signed_in.cookies()["sessionid"]
        assert "; Secure" in session and "HttpOnly" in session
        foreign = Browser(cafile=pair.cert)
        assert foreign.sign_in(base, email, password, origin="https://elsewhere.example").status == 403
        # links in e-mails name the HTTPS address
        request_password_reset(Browser(cafile=pair.cert), base, email)
        assert re.search(rf"https://127\.0\.0\.1:{port}/password-reset/\S+/\S+/", outbox_text(served.home))

        # the plain-HTTP port answers with permanent redirects to the same path and query over https
        plain = Browser(cafile=pair.cert)
        moved = plain.open(f"http://localhost:{http_port}/login/?next=/audit/&x=%C3%A4")
        assert moved.status == 308
        assert moved.headers["Location"] == f"https://localhost:{port}/login/?next=/audit/&x=%C3%A4"
        assert moved.body == ""
        posted = plain.open(f"http://localhost:{http_port}/api/v1/tokens", {"a": "b"})
        assert posted.status == 308 and posted.headers["Location"] == f"https://localhost:{port}/api/v1/tokens"
        followed = plain.open(moved.headers["Location"])
        assert followed.status == 200 and 'name="password"' in followed.body
        # the redirect listener sets no cookie: nothing is ever sent in clear text
        assert moved.headers.get_all("Set-Cookie") is None

        # plain HTTP sent to the HTTPS port gets a plain answer, not a hang or a traceback in the log
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            raw.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            answer = raw.recv(4096)
        assert answer.startswith(b"HTTP/1.1 400 ") and b"This port speaks HTTPS only." in answer

        # clients that connect and never start TLS do not hold up the others
        idle = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(3)]
        try:
            started = time.monotonic()
            assert browser.open(f"{base}/healthz").status == 200
            assert time.monotonic() - started < 5
        finally:
            for sock in idle:
                sock.close()


def _serve_fails(env: dict, *args: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "kustos.cli", "serve", "--no-smtp", "--port", str(free_port()), *args],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_serve_refuses_bad_tls_settings_with_one_line(cli_env: dict, tmp_path: Path):
    pair = make_self_signed(tmp_path / "tls")
    assert "must be set together" in _serve_fails(cli_env, "--tls-cert", str(pair.cert))
    assert "KUSTOS_TLS_CERT: file not found: /nonexistent/cert.pem" in _serve_fails(
        cli_env, "--tls-cert", "/nonexistent/cert.pem", "--tls-key", str(pair.key))
    assert "needs KUSTOS_TLS_CERT" in _serve_fails(cli_env, "--http-port", str(free_port()))
    # a key that does not belong to the certificate
    other = make_self_signed(tmp_path / "other")
    line = _serve_fails({**cli_env, "KUSTOS_TLS_CERT": str(pair.cert), "KUSTOS_TLS_KEY": str(other.key)})
    assert "cannot load the certificate and key" in line
    assert "must be set together" in _serve_fails({**cli_env, "KUSTOS_TLS_KEY": str(pair.key)})
