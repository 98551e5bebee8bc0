r"""SMTP test servers and clients: pytest plugin module (registered in tests.servers.plugins).

* ``make_receiver`` / ``journal_receiver``: in-process :class:`JournalReceiver`\ s on
  free loopback ports with temp spools, journaling address
  ``journal-c1@archive.test`` → ``c1``, 200 KB size limit, optionally SMTP AUTH
  (``relay``/``relay-pw``) and STARTTLS with a self-signed certificate.
* :class:`ReceiverProcess`: the receiver as a separate ``python -m
  kustos.sources.smtp`` process that can be SIGKILLed and restarted.
* :func:`swaks`: run Debian's swaks against a server and return its transcript.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kustos.sources.smtp import JournalReceiver, address_map_resolver, password_map_authenticator
from tests.servers.tls import CertPair, free_port, make_self_signed

JOURNAL_ADDRESS = "journal-c1@archive.test"
CUSTOMER = "c1"
AUTH_USER, AUTH_PASSWORD = "relay", "relay-pw"
MAX_BYTES = 200_000
REPO = Path(__file__).resolve().parents[2]


@dataclass
class RunningReceiver:
    receiver: JournalReceiver
    spool_dir: Path
    certs: CertPair

    @property
    def port(self) -> int:
        return self.receiver.port


@pytest.fixture
def make_receiver(tmp_path: Path) -> Iterator[Callable[..., RunningReceiver]]:
    """Factory: ``make_receiver(auth=True, tls=True, **JournalReceiver kwargs)``."""
    started: list[JournalReceiver] = []
    certs = make_self_signed(tmp_path / "tls")

    def make(auth: bool = False, tls: bool = False, **kwargs: Any) -> RunningReceiver:
        spool_dir = tmp_path / f"spool{len(started)}"
        options: dict[str, Any] = {
            "max_bytes": MAX_BYTES, "hostname": "archive.test", "port": 0,
            "auth": password_map_authenticator({AUTH_USER: AUTH_PASSWORD}) if auth else None,
            "tls_context": certs.server_context() if tls else None,
        }
        options.update(kwargs)
        receiver = JournalReceiver(spool_dir, address_map_resolver({JOURNAL_ADDRESS: CUSTOMER}), **options)
        receiver.start()
        started.append(receiver)
        return RunningReceiver(receiver, spool_dir, certs)

    try:
        yield make
    finally:
        for receiver in started:
            receiver.stop()


@pytest.fixture
def journal_receiver(make_receiver: Callable[..., RunningReceiver]) -> RunningReceiver:
    """A plain receiver (no AUTH, no TLS) for ``journal-c1@archive.test``."""
    return make_receiver()


def swaks(port: int, *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """Run swaks against 127.0.0.1:port; skips the test when swaks is not installed."""
    binary = shutil.which("swaks")
    if binary is None:
        pytest.skip("swaks missing (apt-get install swaks)")
    return subprocess.run([binary, "--server", f"127.0.0.1:{port}", "--timeout", "20", *args],
                          capture_output=True, text=True, timeout=timeout)


class ReceiverProcess:
    """``python -m kustos.sources.smtp`` on a fixed port, killable with SIGKILL."""

    def __init__(self, spool_dir: Path, journal: dict[str, str], port: int | None = None,
                 extra_args: tuple[str, ...] = ()) -> None:
        self.spool_dir = spool_dir
        self.port = port or free_port()
        self.args = [sys.executable, "-m", "kustos.sources.smtp", "--spool", str(spool_dir),
                     "--port", str(self.port), *extra_args]
        for address, customer in journal.items():
            self.args += ["--journal", f"{address}={customer}"]
        self.process: subprocess.Popen[str] | None = None

    def start(self, timeout: float = 20) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(REPO / "src"), env.get("PYTHONPATH", "")])
        self.process = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                        text=True, env=env)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # "listening host:port" once bound
        if not line.startswith("listening"):
            self.process.kill()
            raise RuntimeError(f"receiver did not start (exit {self.process.wait(timeout)})")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
