"""`kustos imapd` and `kustos serve --imap-port`: the server starts, says where it listens, and without a
certificate listens on loopback only and says so; bad TLS options are one-line errors."""

from __future__ import annotations

import imaplib
import signal
import subprocess
import sys
import time

from tests.servers.tls import free_port


def _read_until(proc: subprocess.Popen, marker: str, timeout: float = 90) -> str:
    text = ""
    deadline = time.time() + timeout
    while marker not in text and time.time() < deadline and proc.poll() is None:
        text += proc.stdout.readline()
    return text


def test_kustos_imapd_without_certificate_listens_on_loopback_only(cli_env: dict):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "kustos.cli", "imapd", "--host", "0.0.0.0", "--port", str(port)],
                            env={**cli_env, "COLUMNS": "200"}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    try:
        text = _read_until(proc, "Press Ctrl-C")
        assert f"IMAP (read-only archive access) on 127.0.0.1:{port}" in text, text
        assert "no TLS certificate" in text and "listening on loopback only, not on 0.0.0.0" in text
        imap = imaplib.IMAP4("127.0.0.1", port, timeout=10)
        assert b"Kustos archive IMAP server ready (read-only)" in imap.welcome
        assert "STARTTLS" not in imap.capabilities
        imap.logout()
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert "IMAP server stopped." in out


def test_kustos_imapd_tls_options_are_checked(cli_env: dict, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "kustos.cli", "imapd", "--port", "0", "--tls-cert",
                           str(tmp_path / "missing.crt")], env=cli_env, capture_output=True, text=True, timeout=120)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert "certificate and key must be given together" in lines[0]
    proc = subprocess.run([sys.executable, "-m", "kustos.cli", "imapd", "--port", "0", "--tls-cert",
                           str(tmp_path / "missing.crt"), "--tls-key", str(tmp_path / "missing.key")],
                          env=cli_env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "file not found" in proc.stderr and proc.stderr.count("\n") == 1


def test_kustos_serve_runs_the_imap_server_in_process(cli_env: dict):
    port, imap_port = free_port(), free_port()
    proc = subprocess.Popen([sys.executable, "-m", "kustos.cli", "serve", "--port", str(port), "--no-smtp",
                             "--imap-port", str(imap_port)], env={**cli_env, "COLUMNS": "200"},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        text = _read_until(proc, "KUSTOS_IMAP_TLS_KEY): listening on loopback only")
        assert f"IMAP (read-only archive access) on 127.0.0.1:{imap_port}" in text, text
        imap = imaplib.IMAP4("127.0.0.1", imap_port, timeout=10)
        assert "IMAP4REV1" in imap.capabilities
        imap.logout()
        time.sleep(3)  # the job consumer installs its SIGTERM handler after the start messages
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    assert "Kustos stopped." in out
