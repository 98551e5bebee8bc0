"""`kustos serve` on a fresh KUSTOS_HOME: first-start operator, web + API + SMTP, clean SIGTERM stop."""

from __future__ import annotations

import http.cookiejar
import re
import signal
import stat
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from tests.servers.tls import free_port


def _request_password_reset(base: str, email: str) -> None:
    """Ask for a reset link like a browser does (CSRF cookie + form token)."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with opener.open(f"{base}/password-reset/", timeout=10) as resp:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', resp.read().decode()).group(1)
    data = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "email": email}).encode()
    with opener.open(urllib.request.Request(f"{base}/password-reset/", data=data), timeout=10) as resp:
        assert resp.url.endswith("/password-reset/sent/")


def test_serve_first_start_and_clean_shutdown(cli_env: dict):
    port, smtp_port = free_port(), free_port()
    env = {**cli_env, "COLUMNS": "200"}
    proc = subprocess.Popen([sys.executable, "-m", "kustos.cli", "serve", "--port", str(port), "--smtp-port",
                             str(smtp_port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "SMTP journaling receiver" in line:
                break
        text = "".join(lines)
        # stdout is a pipe here (as under a service manager): the one-time password is not printed
        # (nor logged) but written to a 0600 file whose path is printed.
        found = re.search(r"operator account admin@kustos\.local; its one-time password is in (\S+) ", text)
        assert found, text
        secret_file = Path(found.group(1))
        assert secret_file.parent == Path(env["KUSTOS_HOME"]).resolve()
        assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
        email, password = secret_file.read_text().split()
        assert email == "admin@kustos.local" and len(password) >= 12
        assert password not in text
        assert f"http://127.0.0.1:{port}/" in text
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as resp:
            assert resp.status == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=10) as resp:
            assert b'"Kustos API"' in resp.read()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=10) as resp:
            assert resp.status == 200
        _request_password_reset(f"http://127.0.0.1:{port}", "admin@kustos.local")
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert "Kustos stopped." in out
    assert password not in out
    # the reset mail went to the private outbox, not to stdout/stderr (the server's log)
    outbox = Path(env["KUSTOS_HOME"]) / "outbox"
    mails = list(outbox.iterdir())
    assert len(mails) == 1 and stat.S_IMODE(mails[0].stat().st_mode) == 0o600
    # the link names the address the server really listens on (--port), not a Host header
    link = re.search(rf"http://127\.0\.0\.1:{port}/password-reset/\S+/\S+/", mails[0].read_text()).group(0)
    assert "/password-reset/" not in text + out and link not in text + out
    # a second start does not create another operator
    proc2 = subprocess.Popen([sys.executable, "-m", "kustos.cli", "serve", "--port", str(free_port()), "--no-smtp"],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    first = ""
    while "Kustos is running" not in first and proc2.poll() is None:
        first += proc2.stdout.readline()
    time.sleep(1)
    proc2.send_signal(signal.SIGINT)  # Ctrl-C
    out2, _ = proc2.communicate(timeout=30)
    assert "one-time password" not in first + out2
    assert proc2.returncode == 0, first + out2
