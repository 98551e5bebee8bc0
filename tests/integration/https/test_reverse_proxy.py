"""The reverse-proxy way: a real nginx terminates TLS in front of a plain-HTTP `kustos serve` started with
KUSTOS_TRUST_PROXY=1 (the README's nginx snippet). Kustos sees https through X-Forwarded-Proto: Secure
cookies, HSTS, no redirect loop; plain HTTP that reaches Kustos directly is sent to https. The audit log
and the sign-in lockout name the client's address from nginx's X-Forwarded-For, never one the client sent."""

from __future__ import annotations

import functools
import http.client
import json
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.integration.https.helpers import (
    Browser,
    _NoRedirect,
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


CLIENT = "127.0.0.5"  # the browser's own address (loopback, but not the trusted proxy's 127.0.0.1)
SPOOFED = "198.51.100.66"


class BrowserAt(Browser):
    """A browser whose connections come from ``source`` (the proxy sees that address)."""

    def __init__(self, cafile: Path, source: str):
        super().__init__(cafile)
        connection = functools.partial(http.client.HTTPSConnection, source_address=(source, 0))

        class Handler(urllib.request.HTTPSHandler):
            def https_open(self, req):
                return self.do_open(connection, req, context=self._context)

        self.opener = urllib.request.build_opener(Handler(context=self.context), _NoRedirect(),
                                                  urllib.request.HTTPCookieProcessor(self.jar))


def post_login(browser: Browser, base: str, email: str, password: str, headers: dict):
    page = browser.open(f"{base}/login/", headers=headers)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body).group(1)
    return browser.open(f"{base}/login/", {"csrfmiddlewaretoken": token, "email": email, "password": password},
                        headers={"Origin": base, **headers})


RECORDS = """
import json, os, django
os.environ["DJANGO_SETTINGS_MODULE"] = "kustos.django_settings"
django.setup()
from axes.models import AccessAttempt
from kustos.audit.models import AuditEvent
print(json.dumps({
    "audit": list(AuditEvent.objects.filter(action__startswith="auth.").order_by("seq").values_list("action", "ip")),
    "axes": list(AccessAttempt.objects.values_list("username", "ip_address")),
}))
"""


def sign_in_records(env: dict) -> dict:
    """The served installation's auth.* audit events (action, ip) and axes' failure records (account, ip)."""
    done = subprocess.run([sys.executable, "-c", RECORDS], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_nginx_terminates_tls_in_front_of_kustos(cli_env: dict, tmp_path: Path):
    pair = make_self_signed(tmp_path / "tls")
    upstream, https_port, http_port = free_port(), free_port(), free_port()
    env = {**cli_env, "KUSTOS_TRUST_PROXY": "1", "KUSTOS_BASE_URL": f"https://localhost:{https_port}",
           "KUSTOS_TRUSTED_PROXIES": "127.0.0.1"}  # nginx; the browser below comes from 127.0.0.5
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

        # the client's address comes from nginx's X-Forwarded-For; the one the client sends is not taken
        before = sign_in_records(env)
        assert [ip for action, ip in before["audit"] if action == "auth.login"] == ["127.0.0.1"]
        lie = {"X-Forwarded-For": SPOOFED}
        refused = post_login(BrowserAt(pair.cert, CLIENT), base, email, "not-the-password", lie)
        assert refused.status == 200 and 'name="password"' in refused.body
        # the wrong password counts against (account, client), not against nginx or the spoofed address
        assert sign_in_records(env)["axes"] == [[email.lower(), CLIENT]]
        accepted = post_login(BrowserAt(pair.cert, CLIENT), base, email, password, lie)
        assert accepted.status == 302, accepted.body[:500]
        after = sign_in_records(env)
        new = after["audit"][len(before["audit"]):]
        assert new == [["auth.login_failed", CLIENT], ["auth.login", CLIENT]], new
        assert all(ip != SPOOFED for _, ip in after["audit"])
