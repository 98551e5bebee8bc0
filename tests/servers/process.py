"""What every test server process shares: wait until it listens, stop it politely then firmly."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path


def wait_listening(name: str, port: int, process: subprocess.Popen[bytes], log: Path, deadline: float) -> None:
    """Return once 127.0.0.1:``port`` accepts; a server that exits or never listens raises with its log."""
    def text() -> str:
        return log.read_text(errors="replace") if log.exists() else ""

    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}: {text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{name} did not listen on {port}: {text()}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, and SIGKILL when the process has not ended after ten seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
