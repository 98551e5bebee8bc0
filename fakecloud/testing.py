"""Run fakecloud as a real subprocess on 127.0.0.1 (for pytest fixtures and scripts)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fakecloud.client import Control

ROOT = Path(__file__).resolve().parent.parent


class FakeCloudProcess:
    def __init__(self, process: subprocess.Popen[str], base_url: str) -> None:
        self.process = process
        self.base_url = base_url
        self.control = Control(base_url)


@contextmanager
def running_fakecloud(timeout: float = 20.0) -> Iterator[FakeCloudProcess]:
    """Start ``python -m fakecloud --port 0``; the server picks a free port and prints its URL."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    process = subprocess.Popen([sys.executable, "-m", "fakecloud", "--host", "127.0.0.1", "--port", "0"],
                               stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if "listening on " not in line:
            raise RuntimeError(f"fakecloud did not start (exit code {process.poll()}): {line!r}")
        yield FakeCloudProcess(process, line.rsplit(" ", 1)[1].strip())
    finally:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
