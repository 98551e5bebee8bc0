"""The reverse-proxy way: a real nginx terminates TLS in front of a plain-HTTP `kustos serve` started with
KUSTOS_TRUST_PROXY=1 (the README's nginx snippet). Kustos sees https through X-Forwarded-Proto: Secure
cookies, HSTS, no redirect loop; plain HTTP that reaches Kustos directly is sent to https."""

from __future__ import annotations

import re
from pathlib import Path

from tests.integration.https.helpers import (
    Browser,
    hsts_max_age,
    kustos_serve,
    nginx,
    outbox_text,
    request_password_reset,
)
from tests.servers.tls import free_port, make_self_signed


def nginx_site(https_port: int, http_port: int, upstream: int, cert: Path, key: Path) -> str:
    """The README's site, on test ports."""
    return f"""
server {{
    listen 127.0.0.1:{http_port};
    server_name localhost;
    return 301 https://$host:{https_port}$request_uri;
}}
server {{
    listen 127.0.0.1:{https_port} ssl;
    server_name localhost;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    ssl_protocols TLSv1.2 TLSv1.3;
    client_max_body_size 0;
    proxy_request_buffering off;
    location / {{
        proxy_pass http://127.0.0.1:{upstream};
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_read_timeout 300s;
    }}
}}
"""


def test_nginx_terminates_tls_in_front_of_kustos(cli_env: dict, tmp_path: Path):
    pair = make_self_signed(tmp_path / "tls")
    upstream, https_port, http_port = free_port(), free_port(), free_port()
    env = {**cli_env, "KUSTOS_TRUST_PROXY": "1", "KUSTOS_BASE_URL": f"https://localhost:{https_port}"}
    with kustos_serve(env, "--port", str(upstream)) as served, \
            nginx(tmp_path / "nginx", nginx_site(https_port, http_port, upstream, pair.cert, pair.key)):
        assert f"Kustos is running at http://127.0.0.1:{upstream}/" in served.output
        base = f"https://localhost:{https_port}"
        browser = Browser(cafile=pair.cert)

        # through the proxy: answered directly (no redirect loop), HSTS, Secure cookies
        page = browser.open(f"{base}/login/")
        assert page.status == 200 and 'name="password"' in page.body
        assert hsts_max_age(page) >= 365 * 24 * 3600
        assert "; Secure" in page.cookies()["csrftoken"]
        email, password = served.operator()
        signed_in = browser.sign_in(base, email, password)
        assert signed_in.status == 302, signed_in.body[:500]
        assert signed_in.headers["Location"].startswith("/") and "//" not in signed_in.headers["Location"]
        assert "; Secure" in signed_in.cookies()["sessionid"]
        # Django judged the request https (its HTTPS-only Referer/Origin check ran): a foreign origin is refused
        assert Browser(cafile=pair.cert).sign_in(base, email, password, origin="https://elsewhere.example").status == 403
        request_password_reset(Browser(cafile=pair.cert), base, email)
        assert re.search(rf"{re.escape(base)}/password-reset/\S+/\S+/", outbox_text(served.home))
        # the signed-in session works through the proxy
        home = browser.open(f"{base}/")
        assert home.status in (200, 302), home.status
        if home.status == 302:
            assert "/login" not in home.headers["Location"]

        # nginx's plain-HTTP listener redirects to https
        moved = Browser().open(f"http://localhost:{http_port}/login/?next=/audit/")
        assert moved.status == 301 and moved.headers["Location"] == f"{base}/login/?next=/audit/"

        # plain HTTP straight to Kustos (not through the proxy) is redirected to an https URL, not served
        direct = Browser().open(f"http://localhost:{upstream}/login/?next=/audit/")
        assert direct.status == 301
        assert direct.headers["Location"] == f"https://localhost:{upstream}/login/?next=/audit/"
        # ... except the health check a local monitor uses
        assert Browser().open(f"http://127.0.0.1:{upstream}/healthz").status == 200
        # the proxy's X-Forwarded-Proto replaces a client's own
        spoofed = Browser(cafile=pair.cert).open(f"{base}/login/", headers={"X-Forwarded-Proto": "http"})
        assert spoofed.status == 200
