"""A real `kustos serve` process, a real nginx, and an HTTP client that shows redirects and cookies as sent."""

from __future__ import annotations

import contextlib
import http.cookiejar
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

import pytest

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


@dataclass
class Served:
    proc: subprocess.Popen
    output: str
    home: Path

    def operator(self) -> tuple[str, str]:
        """The first-start operator's e-mail and one-time password (from its 0600 file)."""
        found = re.search(r"one-time password is in (\S+) ", self.output)
        assert found, self.output
        email, password = Path(found.group(1)).read_text().split()
        return email, password


@contextlib.contextmanager
def kustos_serve(env: dict, *args: str, ready: str = "Press Ctrl-C") -> Iterator[Served]:
    """Start `kustos serve --no-smtp ARGS`, wait for ``ready`` in its output, stop it with SIGTERM."""
    proc = subprocess.Popen([sys.executable, "-m", "kustos.cli", "serve", "--no-smtp", *args],
                            env={**env, "COLUMNS": "300"}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    lines: list[str] = []
    try:
        deadline = time.time() + 120
        while time.time() < deadline and proc.poll() is None:
            line = proc.stdout.readline()
            lines.append(line)
            if ready in "".join(lines):
                break
        text = "".join(lines)
        assert ready in text, text
        yield Served(proc, text, Path(env["KUSTOS_HOME"]))
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, "".join(lines) + out
    assert "Traceback" not in out, out


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


@dataclass
class Answer:
    status: int
    headers: Message
    body: str

    def cookies(self) -> dict[str, str]:
        """Set-Cookie headers by cookie name (the whole header, attributes included)."""
        return {h.split("=", 1)[0].strip(): h for h in self.headers.get_all("Set-Cookie") or []}


class Browser:
    """Cookies kept like a browser (Secure ones only over https); redirects are returned, not followed."""

    def __init__(self, cafile: Path | None = None):
        self.context = ssl.create_default_context(cafile=str(cafile) if cafile else None)
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=self.context), _NoRedirect(),
                                                  urllib.request.HTTPCookieProcessor(self.jar))

    def open(self, url: str, data: dict | None = None, headers: dict | None = None) -> Answer:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(url, data=body, headers=headers or {})
        try:
            with self.opener.open(request, timeout=30) as resp:
                return Answer(resp.status, resp.headers, resp.read().decode("utf-8", "replace"))
        except urllib.error.HTTPError as exc:
            return Answer(exc.code, exc.headers, exc.read().decode("utf-8", "replace"))

    def sign_in(self, base: str, email: str, password: str, origin: str | None = None) -> Answer:
        """Post the login form with its CSRF token (Origin as a browser sends it on a form post)."""
        page = self.open(f"{base}/login/")
        assert page.status == 200, page
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body).group(1)
        return self.open(f"{base}/login/", {"csrfmiddlewaretoken": token, "email": email, "password": password},
                         headers={"Origin": origin or base})


def request_password_reset(browser: Browser, base: str, email: str) -> None:
    page = browser.open(f"{base}/password-reset/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body).group(1)
    sent = browser.open(f"{base}/password-reset/", {"csrfmiddlewaretoken": token, "email": email},
                        headers={"Origin": base})
    assert sent.status == 302 and sent.headers["Location"].endswith("/password-reset/sent/"), sent


def outbox_text(home: Path) -> str:
    return "".join(path.read_text() for path in sorted((home / "outbox").iterdir()))


def hsts_max_age(answer: Answer) -> int:
    value = answer.headers.get("Strict-Transport-Security") or ""
    found = re.search(r"max-age=(\d+)", value)
    return int(found.group(1)) if found else 0


@contextlib.contextmanager
def nginx(directory: Path, config_body: str) -> Iterator[None]:
    """Run nginx in the foreground with ``config_body`` (the http {} block's content) under ``directory``."""
    if not Path(NGINX).exists():
        pytest.skip("nginx missing (apt-get install nginx-light)")
    directory.mkdir(parents=True, exist_ok=True)
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = "".join(f"{name}_temp_path {directory / name};\n"
                   for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    conf = directory / "nginx.conf"
    conf.write_text(f"{user}worker_processes 1;\npid {directory / 'nginx.pid'};\nerror_log {directory / 'error.log'};\n"
                    f"events {{ worker_connections 64; }}\n"
                    f"http {{\naccess_log {directory / 'access.log'};\n{temp}{config_body}\n}}\n")
    check = subprocess.run([NGINX, "-t", "-p", str(directory), "-c", str(conf)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    proc = subprocess.Popen([NGINX, "-p", str(directory), "-c", str(conf), "-g", "daemon off;"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 15
        while time.time() < deadline and not (directory / "nginx.pid").exists():
            assert proc.poll() is None, proc.stderr.read()
            time.sleep(0.1)
        time.sleep(0.3)
        yield
    finally:
        proc.send_signal(signal.SIGQUIT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
