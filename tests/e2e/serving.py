"""Running a real `kustos serve` for browser tests."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest


@contextmanager
def kustos_serve(kustos: Path, env: dict[str, str], home: Path, port: int) -> Iterator[str]:
    """Start `kustos serve --no-smtp` on ``port``, wait until /healthz answers, yield the base URL."""
    log = (home / "serve.log").open("w")
    proc = subprocess.Popen([str(kustos), "serve", "--no-smtp", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("kustos serve did not start:\n" + (home / "serve.log").read_text()[-3000:])
        time.sleep(0.2)
    try:
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
