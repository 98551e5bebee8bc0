"""`kustos serve` with its own certificate loads renewed certificate files on SIGHUP (a certbot deploy
hook: `systemctl reload kustos`), keeps serving, and keeps the old certificate when the new files are bad."""

from __future__ import annotations

import shutil
import signal
import ssl
import time
from pathlib import Path

from tests.integration.https.helpers import Browser, kustos_serve
from tests.servers.tls import free_port, make_self_signed


def served_der(port: int) -> bytes:
    return ssl.PEM_cert_to_DER_cert(ssl.get_server_certificate(("127.0.0.1", port)))


def file_der(path: Path) -> bytes:
    return ssl.PEM_cert_to_DER_cert(path.read_text())


def wait_for(port: int, expected: bytes, seconds: float = 20) -> bytes:
    deadline = time.time() + seconds
    seen = served_der(port)
    while seen != expected and time.time() < deadline:
        time.sleep(0.2)
        seen = served_der(port)
    return seen


def test_sighup_reloads_the_certificate(cli_env: dict, tmp_path: Path):
    live = make_self_signed(tmp_path / "live")
    renewed = make_self_signed(tmp_path / "renewed")
    first = file_der(live.cert)
    assert first != file_der(renewed.cert)
    port = free_port()
    args = ("--port", str(port), "--tls-cert", str(live.cert), "--tls-key", str(live.key))
    with kustos_serve(cli_env, *args) as served:
        assert served_der(port) == first
        # renewal: new files at the same paths, then SIGHUP
        shutil.copyfile(renewed.cert, live.cert)
        shutil.copyfile(renewed.key, live.key)
        served.proc.send_signal(signal.SIGHUP)
        assert wait_for(port, file_der(renewed.cert)) == file_der(renewed.cert)
        assert served.proc.poll() is None  # still running, not stopped by the signal
        assert Browser(cafile=renewed.cert).open(f"https://localhost:{port}/healthz").status == 200

        # broken files: the certificate in use stays, serve goes on
        live.cert.write_text("not a certificate\n")
        served.proc.send_signal(signal.SIGHUP)
        time.sleep(1.5)
        assert served.proc.poll() is None
        assert served_der(port) == file_der(renewed.cert)
        assert Browser(cafile=renewed.cert).open(f"https://localhost:{port}/healthz").status == 200
